"""What every staff view says of an escalation: its reason, its status, its age and SLA.

`EscalationView` is the shape the views read (the domain's frozen view satisfies it); the
one-line descriptions here are shared by the card (`slack_card`), the App Home and
`/cps queue` (`slack_queue`), the member modal (`slack_member_details`) and the Slack
delivery worker, so an escalation reads the same wherever staff meet it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.handlers.slack_blocks import esc

REASONS = {
    "member_request": "Member asked for a person",
    "no_migration": "Old products cannot be migrated (R4): priority support",
    "misunderstood": "The bot misunderstood three times",
    "other": "Other",
}


class EscalationView(Protocol):
    """What the blocks read of an escalation (bot.domain.services.handoff.EscalationView)."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def claimed_by(self) -> str | None: ...
    @property
    def claimed_by_name(self) -> str | None: ...
    @property
    def claimed_at(self) -> datetime | None: ...
    @property
    def resolved_by(self) -> str | None: ...
    @property
    def helpdesk_ticket(self) -> str | None: ...
    @property
    def helpdesk_status(self) -> str | None: ...
    @property
    def card_channel(self) -> str | None: ...
    @property
    def card_ts(self) -> str | None: ...
    @property
    def context(self) -> dict[str, Any]: ...
    @property
    def transcript(self) -> list[dict[str, Any]]: ...


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " ").capitalize())


def age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def who(user_id: str | None, name: str | None) -> str:
    """The staff member's name; else a mention, which Slack shows as the name too."""
    if name:
        return esc(name)
    return f"<@{user_id}>" if user_id else "someone"


def status_line(view: EscalationView) -> str:
    if view.status == "resolved":
        return f":white_check_mark: Resolved by {who(view.resolved_by, None)}"
    if view.status == "claimed":
        return f":raising_hand: Claimed by {who(view.claimed_by, view.claimed_by_name)}"
    return ":large_orange_circle: Open, waiting for someone to claim it"


def sla_line(view: EscalationView, now: datetime, sla_minutes: float) -> str:
    """The App Home's line: age, SLA state, who has it."""
    waited = now - view.created_at
    if view.status == "claimed":
        taken = (view.claimed_at or now) - view.created_at
        name = who(view.claimed_by, view.claimed_by_name)
        return f":raising_hand: claimed by {name} after {age(taken)} · open for {age(waited)}"
    limit = timedelta(minutes=sla_minutes)
    if waited > limit:
        return f":red_circle: unclaimed for {age(waited)}, over the {age(limit)} SLA"
    return (
        f":large_green_circle: unclaimed for {age(waited)}, within SLA ({age(limit - waited)} left)"
    )
