"""The link's token never reaches a log line: uvicorn's access log writes each request's
path, and a password page's path is its token. `mask_link_tokens()` puts a filter on
uvicorn's loggers that writes "/password/[token]" instead (idempotent)."""

from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/password/)[^/?#\s\"']+")
MASKED = r"\1[token]"
LOGGERS = ("uvicorn.access", "uvicorn.error")


class MaskLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = TOKEN_IN_PATH.sub(MASKED, record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_IN_PATH.sub(MASKED, arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def mask_link_tokens() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskLinkTokens) for f in logger.filters):
            logger.addFilter(MaskLinkTokens())
