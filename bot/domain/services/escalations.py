"""R14: what the bot cannot solve is recorded for a person, with reason and transcript.

The escalation's whole lifecycle lives in `handoff`; this name stays for existing callers.
"""

from __future__ import annotations

from bot.domain.services.handoff import REASONS, open_escalation

__all__ = ["REASONS", "open_escalation"]
