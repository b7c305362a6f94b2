"""Members' privacy as use cases: forget a chat, export or erase a member, retention.

The work is in four modules, each with its table-by-table account of what goes and what
stays and why: `privacy_chat` (`/forget`), `privacy_export` (access), `privacy_erase`
(erasure) and `privacy_retention` (`purge`). Callers use this one: `privacy.<name>`
reaches all of them. (Secrets in mail are blanked when the mail is sent: `outbox`.)
"""

from __future__ import annotations

from bot.domain.services.privacy_chat import CHAT_FORGOTTEN, FORGOTTEN_BY, forget_chat
from bot.domain.services.privacy_erase import MEMBER_ERASED, Erasure, erase_member
from bot.domain.services.privacy_export import export_member
from bot.domain.services.privacy_retention import purge, purge_now

__all__ = [
    "CHAT_FORGOTTEN",
    "FORGOTTEN_BY",
    "MEMBER_ERASED",
    "Erasure",
    "erase_member",
    "export_member",
    "forget_chat",
    "purge",
    "purge_now",
]
