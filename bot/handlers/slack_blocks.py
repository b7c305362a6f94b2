"""Block Kit primitives for the staff app: escaping, Slack's length limits, mrkdwn both ways.

Everything a member typed is escaped before it reaches mrkdwn, so a message such as
`<!channel>` shows as text instead of pinging the whole staff channel. Texts are cut to
Slack's limits (3,000 characters a section, 150 a header, 24 a modal title). A staff reply
goes the other way: `from_mrkdwn` turns Slack's links and mentions back into plain text.
The staff's views are drawn from these in `slack_card` (the escalation card),
`slack_queue` (the App Home and `/cps queue`) and `slack_member_details` (the member modal
and `/cps lookup`), with the lines they share in `slack_escalation_lines`.
"""

from __future__ import annotations

import re
from typing import Any

Block = dict[str, Any]


def esc(text: object) -> str:
    """Slack's three control characters, so member text stays text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 3000)}}


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def from_mrkdwn(text: str) -> str:
    """A staff reply as the member should read it: links and mentions as plain text."""
    text = re.sub(r"<[@#!][^<>|]*\|([^<>]+)>", r"\1", text)  # mentions with their label
    text = re.sub(r"<(?:mailto:)?([^<>|@#!][^<>|]*)\|([^<>]+)>", _label, text)
    text = re.sub(r"<(?:mailto:)?([^<>|@#!][^<>|]*)>", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _label(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    return label if target.removeprefix("mailto:") == label else f"{label} ({target})"
