"""What `GET /metrics` serves: the process's counters (`metrics`) and the database's
figures, read when Prometheus scrapes (`OperationsCollector`).

    registry = metrics_registry(reader.snapshot)     # one per web app
    body = generate_latest(registry)                 # blocking: the figures are read here

Each app gets a registry of its own holding its database collector, served after the
process-wide default one; nothing is registered globally, so building many apps (tests,
the webhook beside the web app) never registers a collector twice. With
`PROMETHEUS_MULTIPROC_DIR` set (several worker processes), the counters come from every
process's files in that directory (prometheus-client's `MultiProcessCollector`) instead
of this process's memory.

When the database cannot be read, the counters are served all the same and
`cps_operations_up` is 0.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
# The classic text format generate_latest writes (what Prometheus asks for by default).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


# The fields of the figures read (bot.flows.operations.OperationsSnapshot), each the gauge
# cps_<field>: (field, its label or None for a single value, what it counts).
GAUGES: tuple[tuple[str, str | None, str], ...] = (
    ("outbox_pending", "channel", "Messages queued for a channel and not delivered yet."),
    ("outbox_oldest_age_seconds", "channel", "Age of the oldest undelivered message."),
    ("deliveries_failing", "channel", "Undelivered messages with a failed attempt (retried)."),
    ("emails_pending", None, "E-mails waiting to be sent."),
    ("emails_oldest_age_seconds", None, "Age of the oldest e-mail waiting (0: none waits)."),
    ("emails_failed", None, "E-mails refused for good by the member's server."),
    ("escalations", "status", "Escalations open (nobody took them yet) or claimed."),
    ("escalations_unclaimed_past_sla", None, "Escalations open longer than the claim SLA."),
    ("inbox_set_aside", None, "Inbound events set aside after failed turns."),
)


class OperationsCollector(Collector):
    """The database's figures as gauges, read at every scrape through `read`."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        try:
            figures = self.read()
        except Exception as exc:  # the counters still go out; the figures are missing
            log.warning("metrics: the database figures could not be read (%s)", type(exc).__name__)
            yield _gauge("cps_operations_up", "Whether the database figures were read.", 0)
            return
        yield _gauge("cps_operations_up", "Whether the database figures were read.", 1)
        yield from _figures(figures)


def _figures(figures: Any) -> Iterator[Metric]:
    for field, label, documentation in GAUGES:
        value = getattr(figures, field)
        if label is None:
            yield _gauge(f"cps_{field}", documentation, value)
            continue
        family = GaugeMetricFamily(f"cps_{field}", documentation, labels=[label])
        for key, each in sorted(value.items()):
            family.add_metric([key], each)
        yield family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class Exposition(Collector):
    """Several registries served as one."""

    def __init__(self, *parts: Collector) -> None:
        self.parts = parts

    def collect(self) -> Iterable[Metric]:
        for part in self.parts:
            yield from part.collect()


def metrics_registry(read: Callable[[], Any]) -> Collector:
    """What one app's `/metrics` serves (pass it to `generate_latest`)."""
    own = CollectorRegistry()
    own.register(OperationsCollector(read))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        return Exposition(processes, own)
    return Exposition(REGISTRY, own)
