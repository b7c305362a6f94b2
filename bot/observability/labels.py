"""Label values the counters and the database's figures share, so one channel has one name
in both (`cps_deliveries_failed_total{channel}` and `cps_outbox_pending{channel}`)."""

from __future__ import annotations


def delivery_channel(target: str, conversation_key: str | None) -> str:
    """The `channel` of a queued delivery: a member's chat's channel (its key's prefix,
    "telegram:42" -> "telegram"), "slack" for the staff app's targets, else the target
    ("helpdesk")."""
    if target == "member":
        return (conversation_key or "").partition(":")[0] or "member"
    return "slack" if target.startswith("slack") else str(target)
