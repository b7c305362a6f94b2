"""How well the bot does over a period: `build_report(uow, since, until)`, the figures of
`cps-bot report` (JSON; the HTML renders the same) and of the Slack App Home.

Each figure is given overall, per language and per channel:
- conversations: a chat's turns with no pause longer than SESSION_GAP between them. One is
  *contained* when a goal was reached (a flow other than the handoff and the chat's linking
  completed, or an FAQ answered) and no person took part; *handed off* when it opened an
  escalation (by the escalation's reason, or "staff_unreachable" when its card could not be
  shown to staff); else *unresolved*. Turns only relayed to a person or rating one
  continue a handoff and open no conversation of their own.
- fallback: turns the bot read (understood, not understood, a typed password) and the share
  not understood; the 20 most frequent such messages, redacted when they were recorded.
- CSAT: the 1-5 ratings given in the period; the share of the period's handoffs rated.
- handoffs: those opened in the period, median and 90th percentile (linear between ranks)
  of the time to claim and to resolve; SLA reminders sent in the period; open now.
- the joining funnel: the members whose linked chat had a turn in the period, by how far
  they have come (each step counts those who also passed every step before it).
- flows: started, completed, declined, cancelled, unfinished (still open at the period's end
  or left without a word).
Days are UTC days; `until` is included.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.domain.services.analytics_rows import EscalationRow, EventRow, JourneyRow, load
from bot.domain.services.events import CANCELLED, COMPLETED, DECLINED
from bot.domain.unit_of_work import UnitOfWork

SESSION_GAP = timedelta(minutes=30)
WEEK_DAYS = 7  # the period when none is asked (`cps-bot report`), and the App Home's
TOP_NOT_UNDERSTOOD = 20
REASONS = ("member_request", "no_migration", "misunderstood", "staff_unreachable", "other")
FUNNEL = ("linked_chat", "password_set", "products", "all_ticks", "invited", "level_chosen", "paid")
NOT_GOALS = frozenset({"handoff", "link_account"})  # means to a goal, not one
READ_BY_THE_BOT = frozenset({"understood", "not_understood", "password"})
LIVE = "live"
ENDINGS = (COMPLETED, DECLINED, CANCELLED)


@dataclass
class Conversation:
    key: str
    channel: str | None
    language: str | None = None
    started: datetime | None = None
    events: list[EventRow] = field(default_factory=list)
    ended: tuple[str, str | None] = ("unresolved", None)  # `outcome`, once all is known

    def outcome(self, unreachable: frozenset[int]) -> tuple[str, str | None]:
        """("contained" | "handed_off" | "unresolved", the handoff's reason)."""
        handoffs = [e for e in self.events if e.kind == "handoff"]
        if handoffs:
            first = handoffs[0]
            if first.escalation_id in unreachable:
                return "handed_off", "staff_unreachable"
            return "handed_off", first.name if first.name in REASONS else "other"
        live = any(e.kind == "turn" and e.name == LIVE for e in self.events)
        goal = any(
            e.kind == "flow" and e.detail == COMPLETED and e.name not in NOT_GOALS
            for e in self.events
        )
        return ("contained" if goal and not live else "unresolved"), None


def build_report(
    uow: UnitOfWork, since: date, until: date, *, now: datetime | None = None
) -> dict[str, Any]:
    """The period's figures (module docstring), as plain JSON values."""
    start = datetime.combine(since, time.min, tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    with uow:
        rows = load(uow, start, end)
        now = now or uow.clock.now()
    conversations = _conversations(rows.events)
    for conversation in conversations:
        conversation.ended = conversation.outcome(rows.unreachable)
    member_places = _member_places(rows.events)
    figures = _Figures(rows.journeys, member_places, start, end)

    def section(keep: Callable[[str | None, str | None], bool]) -> dict[str, Any]:
        return figures.section(
            [c for c in conversations if keep(c.language, c.channel)],
            [e for e in rows.events if keep(e.language, e.channel)],
            [x for x in rows.escalations if keep(x.language, x.channel)],
            [m for m, places in member_places.items() if any(keep(*p) for p in places)],
        )

    languages = sorted({c.language for c in conversations if c.language})
    channels = sorted({c.channel for c in conversations if c.channel})
    return {
        "period": {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "days": (until - since).days + 1,
        },
        "generated_at": now.isoformat(timespec="seconds"),
        "overall": section(lambda _language, _channel: True),
        "by_language": {lang: section(lambda la, _c, lang=lang: la == lang) for lang in languages},
        "by_channel": {ch: section(lambda _la, c, ch=ch: c == ch) for ch in channels},
        "over_time": figures.over_time(conversations, since, until),
    }


def _conversations(events: list[EventRow]) -> list[Conversation]:
    """The period's events cut into conversations (module docstring)."""
    by_chat: defaultdict[str, list[EventRow]] = defaultdict(list)
    for event in events:
        if event.conversation_key is not None and event.kind != "staff_unreachable":
            by_chat[event.conversation_key].append(event)
    found: list[Conversation] = []
    for key, chat in by_chat.items():
        current: Conversation | None = None
        last_turn: datetime | None = None
        for event in chat:
            if event.kind == "turn":
                if current is None or last_turn is None or event.at - last_turn > SESSION_GAP:
                    current = Conversation(key, event.channel, started=event.at)
                    found.append(current)
                last_turn = event.at
                current.language = event.language or current.language
            if current is not None:
                current.events.append(event)
    return [c for c in found if any(e.kind == "turn" and e.name != LIVE for e in c.events)]


def _member_places(events: list[EventRow]) -> dict[int, set[tuple[str | None, str | None]]]:
    """Each member who chatted, and the (language, channel) pairs they chatted in."""
    places: defaultdict[int, set[tuple[str | None, str | None]]] = defaultdict(set)
    for event in events:
        if event.kind == "turn" and event.account_id is not None:
            places[event.account_id].add((event.language, event.channel))
    return places


@dataclass
class _Figures:
    journeys: dict[int, JourneyRow]
    places: dict[int, set[tuple[str | None, str | None]]]
    start: datetime
    end: datetime

    def section(
        self,
        conversations: list[Conversation],
        events: list[EventRow],
        escalations: list[EscalationRow],
        members: list[int],
    ) -> dict[str, Any]:
        turns = [e for e in events if e.kind == "turn" and e.name in READ_BY_THE_BOT]
        return {
            "conversations": len(conversations),
            "turns": len(turns),
            "containment": self.containment(conversations),
            "fallback": _fallback(turns),
            "csat": self.csat(escalations),
            "handoffs": self.handoffs(escalations),
            "funnel": self.funnel(members),
            "flows": _flows(events),
        }

    def containment(self, conversations: list[Conversation]) -> dict[str, Any]:
        outcomes = [c.ended for c in conversations]
        count = Counter(kind for kind, _ in outcomes)
        reasons = Counter(reason for _, reason in outcomes if reason)
        total = len(conversations)
        return {
            "contained": count["contained"],
            "rate": _rate(count["contained"], total),
            "handed_off": count["handed_off"],
            "handoff_rate": _rate(count["handed_off"], total),
            "by_reason": {reason: reasons[reason] for reason in REASONS},
            "unresolved": count["unresolved"],
        }

    def _in_period(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def csat(self, escalations: list[EscalationRow]) -> dict[str, Any]:
        ratings = [x.rating for x in escalations if x.rating and self._in_period(x.rated_at)]
        opened = [x for x in escalations if self._in_period(x.created_at)]
        return {
            "ratings": len(ratings),
            "average": round(statistics.fmean(ratings), 4) if ratings else None,
            "distribution": {str(n): ratings.count(n) for n in range(1, 6)},
            "handoffs": len(opened),
            "rated_share": _rate(sum(1 for x in opened if x.rating), len(opened)),
        }

    def handoffs(self, escalations: list[EscalationRow]) -> dict[str, Any]:
        opened = [x for x in escalations if self._in_period(x.created_at)]
        claimed = [x for x in opened if x.claimed_at is not None]
        resolved = [x for x in opened if x.resolved_at is not None]
        return {
            "opened": len(opened),
            "claimed": len(claimed),
            "resolved": len(resolved),
            "time_to_claim": _spread(x.claimed_at - x.created_at for x in claimed),  # type: ignore[operator]
            "time_to_resolve": _spread(x.resolved_at - x.created_at for x in resolved),  # type: ignore[operator]
            "sla_reminders": sum(1 for x in escalations if self._in_period(x.reminded_at)),
            "open_now": sum(1 for x in escalations if x.status != "resolved"),
        }

    def funnel(self, members: list[int]) -> list[dict[str, Any]]:
        journeys = [self.journeys[m] for m in members if m in self.journeys]
        steps: list[dict[str, Any]] = []
        passing = journeys
        for step in FUNNEL:
            if step != "linked_chat":
                passing = [j for j in passing if getattr(j, step)]
            before = steps[-1]["members"] if steps else None
            drop = None if before is None else before - len(passing)
            steps.append({"step": step, "members": len(passing), "drop_off": drop})
        return steps

    def over_time(
        self, conversations: list[Conversation], since: date, until: date
    ) -> list[dict[str, Any]]:
        by_day: defaultdict[date, Counter[str]] = defaultdict(Counter)
        for conversation in conversations:
            assert conversation.started is not None
            kind, _ = conversation.ended
            by_day[conversation.started.date()][kind] += 1
        days = []
        for n in range((until - since).days + 1):
            day = since + timedelta(days=n)
            count = by_day[day]
            total = sum(count.values())
            days.append(
                {
                    "day": day.isoformat(),
                    "conversations": total,
                    "contained": count["contained"],
                    "handed_off": count["handed_off"],
                    "containment": _rate(count["contained"], total),
                }
            )
        return days


def _fallback(turns: list[EventRow]) -> dict[str, Any]:
    missed = [e for e in turns if e.name == "not_understood"]
    said: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for event in missed:
        if event.text:
            folded = " ".join(event.text.casefold().split())
            said[folded] += 1
            shown.setdefault(folded, " ".join(event.text.split()))
    top = sorted(said.items(), key=lambda item: (-item[1], item[0]))[:TOP_NOT_UNDERSTOOD]
    return {
        "turns": len(turns),
        "not_understood": len(missed),
        "rate": _rate(len(missed), len(turns)),
        "top": [{"text": shown[text], "count": count} for text, count in top],
    }


def _flows(events: Iterable[EventRow]) -> dict[str, dict[str, int]]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for event in events:
        if event.kind == "flow" and event.detail:
            counts[event.name][event.detail] += 1
    flows = {}
    for name in sorted(counts):
        count = counts[name]
        ended = sum(count[e] for e in ENDINGS)
        flows[name] = {
            "started": count["started"],
            **{ending: count[ending] for ending in ENDINGS},
            "unfinished": max(0, count["started"] - ended),
        }
    return flows


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _spread(durations: Iterable[timedelta]) -> dict[str, float | None]:
    seconds = sorted(d.total_seconds() for d in durations)
    if not seconds:
        return {"median_seconds": None, "p90_seconds": None}
    return {
        "median_seconds": round(statistics.median(seconds), 1),
        "p90_seconds": round(percentile(seconds, 0.9), 1),
    }


def percentile(ordered: list[float], q: float) -> float:
    """Linear between the closest ranks (numpy's default): ordered[(n - 1) * q]."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
