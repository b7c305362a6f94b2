"""The process's Prometheus metrics, counted where things happen (prometheus-client).

Counters and histograms live in the process that does the work (the bot's turns, the mail
worker's sends); `GET /metrics` serves them with the database's own figures (outbox,
escalations) read at scrape time. With several worker processes, set
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode) so one scrape adds up
every process's counts.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from bot.observability.labels import delivery_channel

# Seconds: a turn is ~1-50 ms on the embedded defaults, an NLU server call ~10-300 ms.
_FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

TURNS = Counter(
    "cps_turns",
    "Member turns taken, by channel and outcome (understood, not_understood, password, "
    "live, channel, duplicate).",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "cps_turn_seconds",
    "Time from taking a member's message to its answer committed, by channel.",
    ["channel"],
    buckets=_FAST_BUCKETS,
)
NLU_SECONDS = Histogram(
    "cps_nlu_seconds",
    "Time the NLU took to read one message, by engine.",
    ["engine"],
    buckets=_FAST_BUCKETS,
)
NLU_FALLBACKS = Counter(
    "cps_nlu_fallbacks",
    "Messages the NLU did not understand (out_of_scope or below the confidence bar), and "
    "Rasa calls answered by the embedded engine because the server failed.",
    ["engine", "reason"],
)
EMAILS = Counter(
    "cps_emails",
    "E-mails handed to the SMTP server (sent), refused for good (failed), or put back "
    "for a later try (retried).",
    ["outcome"],
)
DELIVERIES_FAILED = Counter(
    "cps_deliveries_failed",
    "Attempts to deliver a queued message that failed (retried later), by channel.",
    ["channel"],
)


def observe_delivery_failed(target: str, conversation_key: str | None) -> None:
    DELIVERIES_FAILED.labels(channel=delivery_channel(target, conversation_key)).inc()


def observe_turn(channel: str, outcome: str, seconds: float) -> None:
    TURNS.labels(channel=channel, outcome=outcome).inc()
    TURN_SECONDS.labels(channel=channel).observe(seconds)


def observe_nlu(engine: str, seconds: float, *, fallback: str | None = None) -> None:
    """One NLU reading; `fallback` names why it counts as not understood (or None)."""
    NLU_SECONDS.labels(engine=engine).observe(seconds)
    if fallback is not None:
        NLU_FALLBACKS.labels(engine=engine, reason=fallback).inc()
