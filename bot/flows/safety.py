"""R1: the bot never takes a password. Text that looks like one is flagged, never stored.

The detector lives in `bot.privacy.passwords` (every layer applies the same rule); these
names are kept here for the flows that import them from this module.
"""

from __future__ import annotations

from bot.privacy.passwords import MARKER, find_passwords, hide_passwords, looks_like_password

__all__ = ["MARKER", "find_passwords", "hide_passwords", "looks_like_password"]
