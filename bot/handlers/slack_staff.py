"""Who is staff, what they are called, the `/cps` command, and the domain operations used.

Staff are the Slack users in `slack_staff_users` and the members of the user groups in
`slack_staff_groups` (asked with usergroups.users.list and kept for a minute, so a person
removed from the group loses access quickly). Nobody is staff when both lists are empty.
Names come from users.info, kept for an hour: the card and the member's messages show them.

The domain's operations arrive as `Handoff` and `Staff` (the modules
bot/domain/services/handoff.py and staff.py, passed in by whoever wires the app): a channel
adapter never imports domain services itself (tests/test_architecture.py).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import errors
from bot.domain.unit_of_work import UnitOfWork
from bot.handlers.slack_blocks import cut, esc
from bot.handlers.slack_escalation_lines import EscalationView
from bot.handlers.slack_member_details import lookup_text
from bot.handlers.slack_queue import queue_text

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+")
MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>")  # Slack links e-mails in command text
USAGE = {
    "lookup": ("EMAIL|NUMBER", "a member's account, points, products and membership"),
    "points": ("EMAIL", "a member's points"),
    "resend-invite": ("EMAIL", "send the programme invitation again (R7)"),
    "resend-password-link": ("EMAIL", "e-mail a new set/reset password link (R1)"),
    "link-old-account": ("EMAIL OLD_EMAIL", "R4 override: link a verified old account, migrate"),
    "queue": ("", "open escalations, oldest first, and e-mail members' servers refused"),
    "help": ("", "this list"),
}


class Handoff(Protocol):
    """The handoff operations the Slack side calls (bot.domain.services.handoff)."""

    def get(self, uow: UnitOfWork, escalation_id: int) -> Any: ...
    def find_by_card(self, uow: UnitOfWork, channel: str, ts: str) -> Any: ...
    def queue(self, uow: UnitOfWork) -> list[Any]: ...
    def claim(self, uow: UnitOfWork, escalation_id: int, staff_id: str, staff_name: str) -> Any: ...
    def resolve(
        self, uow: UnitOfWork, escalation_id: int, staff_id: str, staff_name: str
    ) -> Any: ...
    def relay_to_member(
        self,
        uow: UnitOfWork,
        escalation_id: int,
        staff_id: str,
        staff_name: str,
        text: str,
        event_id: str,
    ) -> str: ...
    def overdue_unclaimed(self, uow: UnitOfWork, older_than: timedelta) -> list[Any]: ...
    def mark_reminded(self, uow: UnitOfWork, escalation_id: int) -> None: ...


class Staff(Protocol):
    """The staff tools behind `/cps` (bot.domain.services.staff); each one audits."""

    def find_member(self, uow: UnitOfWork, actor: str, query: str) -> dict[str, Any] | None: ...
    def points(self, uow: UnitOfWork, actor: str, email: str) -> int: ...
    def resend_invitation(self, uow: UnitOfWork, actor: str, email: str) -> None: ...
    def resend_password_link(self, uow: UnitOfWork, actor: str, email: str) -> None: ...
    def link_old_account(self, uow: UnitOfWork, actor: str, email: str, old_email: str) -> Any: ...
    def failed_mails(self, uow: UnitOfWork) -> list[Any]: ...
    def last_week(self, uow: UnitOfWork) -> dict[str, Any]: ...


class CommandError(ValueError):
    """The command cannot run as typed; the message tells the staff member what to type."""


@dataclass(frozen=True)
class StaffCommand:
    name: str
    args: tuple[str, ...]


def help_text(problem: str = "") -> str:
    lines = [problem] if problem else []
    lines.append("*/cps* commands:")
    lines += [f"• `{usage(name)}`: {what}" for name, (_args, what) in USAGE.items()]
    return "\n".join(lines)


def usage(name: str) -> str:
    return f"/cps {name} {USAGE[name][0]}".strip()


def parse(text: str) -> StaffCommand:
    words = MAILTO.sub(r"\1", text or "").split()
    if not words:
        return StaffCommand("help", ())
    name, args = words[0].lower(), tuple(words[1:])
    if name not in USAGE:
        raise CommandError(help_text(f"I don't know `{esc(name)}`."))
    wanted = USAGE[name][0].split()
    if len(args) != len(wanted):
        raise CommandError(f"Usage: `{usage(name)}`")
    for arg, kind in zip(args, wanted, strict=True):
        if "EMAIL" in kind and kind != "EMAIL|NUMBER" and not EMAIL.fullmatch(arg):
            raise CommandError(f"`{esc(arg)}` is not an e-mail address.")
    return StaffCommand(name, tuple(a.lower() if EMAIL.fullmatch(a) else a for a in args))


@dataclass(frozen=True)
class Desk:
    """What `/cps` needs: the database, the domain's operations, the SLA for the queue."""

    uow: Callable[[], UnitOfWork]
    handoff: Handoff
    staff: Staff
    sla_minutes: float


def run(desk: Desk, actor: str, command: StaffCommand) -> str:
    """The answer to one command (blocking: the database). Domain refusals become answers."""
    try:
        return _run(desk, actor, command)
    except errors.DomainError as exc:
        return refusal(exc)


def _run(desk: Desk, actor: str, command: StaffCommand) -> str:
    name, args, uow, staff = command.name, command.args, desk.uow, desk.staff
    if name == "help":
        return help_text()
    if name == "queue":
        views: list[EscalationView] = desk.handoff.queue(uow())
        text = queue_text(views, uow().clock.now(), desk.sla_minutes)
        return text + failed_mails_text(staff.failed_mails(uow()))
    email = args[0]
    if name == "lookup":
        state = staff.find_member(uow(), actor, email)
        return (
            lookup_text(state) if state else f"No member has the e-mail or number `{esc(email)}`."
        )
    if name == "points":
        return f"{esc(email)} has *{staff.points(uow(), actor, email)}* points."
    if name == "resend-invite":
        staff.resend_invitation(uow(), actor, email)
        return f"Invitation sent again to {esc(email)}."
    if name == "resend-password-link":
        staff.resend_password_link(uow(), actor, email)
        return f"A password link is on its way to {esc(email)}."
    outcome = staff.link_old_account(uow(), actor, email, args[1])
    moved = ", ".join(esc(line.model) for line in outcome.migrated) or "nothing new"
    invited = " The member is now invited to the programme." if outcome.invitation_issued else ""
    return (
        f"Old account {esc(args[1])} linked to {esc(email)}. Migrated: {moved}"
        f" ({len(outcome.skipped)} already there). Points now: *{outcome.total_points}*.{invited}"
    )


def failed_mails_text(mails: list[Any]) -> str:
    """The mail members' servers refused for good (kind, masked recipient, the server's
    reason), for `/cps queue`; nothing when there is none."""
    if not mails:
        return ""
    lines = [f"\n\n*{len(mails)} e-mail{'s' if len(mails) != 1 else ''} not delivered*:"]
    for mail in mails:
        lines.append(
            f"• mail #{mail.id} `{esc(mail.kind)}` to {esc(mail.recipient)} · {esc(mail.reason)}"
        )
    return cut("\n".join(lines), 1000)


REFUSALS = {
    "account_not_found": "No member has the e-mail {email}.",
    "legacy_account_not_found": "No old CPS account has the e-mail {legacy_email}.",
    "legacy_account_taken": "The old account {legacy_email} belongs to another member: check it.",
    "already_migrated": "The old account {legacy_email} was migrated already.",
    "not_invited": "Not invited yet: {points} points, the invitation needs {points_needed}.",
    "escalation_not_found": "There is no escalation #{escalation_id}.",
    "already_claimed": "{by_name} has already claimed this escalation.",
    "already_resolved": "Escalation #{escalation_id} is already resolved.",
}


def refusal(exc: errors.DomainError) -> str:
    """A domain refusal in a sentence for staff; an unknown one by its stable code."""
    template = REFUSALS.get(exc.code)
    fields = {k: esc(v) for k, v in vars(exc).items()}
    try:
        return template.format(**fields) if template else f"Could not do that: `{exc.code}`."
    except KeyError:
        return f"Could not do that: `{exc.code}`."


class StaffDirectory:
    """Answers "is this user staff?" and "what is their name?" with short-lived caches."""

    def __init__(
        self,
        client: AsyncWebClient,
        users: list[str],
        groups: list[str],
        *,
        group_ttl: float = 60.0,
        name_ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.users = frozenset(users)
        self.groups = tuple(groups)
        self.group_ttl, self.name_ttl, self.clock = group_ttl, name_ttl, clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._names: dict[str, tuple[float, str]] = {}

    async def is_staff(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        for group in self.groups:
            if user_id in await self._group(group):
                return True
        return False

    async def _group(self, group: str) -> frozenset[str]:
        cached = self._members.get(group)
        if cached and cached[0] > self.clock():
            return cached[1]
        try:
            answer = await self.client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:  # keep what we knew; refuse when we never knew
            log.warning("user group %s unreadable: %s", group, exc.response.get("error"))
            return cached[1] if cached else frozenset()
        members = frozenset(answer.get("users") or [])
        self._members[group] = (self.clock() + self.group_ttl, members)
        return members

    async def name(self, user_id: str) -> str:
        """The real name (the domain signs member messages with its first word)."""
        cached = self._names.get(user_id)
        if cached and cached[0] > self.clock():
            return cached[1]
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return cached[1] if cached else user_id
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
        self._names[user_id] = (self.clock() + self.name_ttl, name)
        return name
