"""A turn's replies wait in the outbox as JSON: read back, they render exactly as sent."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.flows.i18n import default_catalogs
from bot.flows.messages import Button, Key, Reply
from bot.flows.reply_codec import decode_replies, encode_replies


def test_replies_read_back_from_json_render_the_same_in_every_language():
    replies = [
        Reply(
            "payment.invoice_card",
            {
                "level": Key("level.gold"),
                "amount": Decimal("100.00"),
                "due_date": date(2026, 12, 31),
                "expires_at": datetime(2026, 12, 2, 10, 30, tzinfo=UTC),
                "points": 2600,
                "lines": [Reply("points.product_line", {"model": "EOS R5", "points": 500})],
            },
            (Button("common.yes", "yes"), Button("level.button", "level:gold", {"n": 3})),
        ),
        Reply("common.password_warning", delete_user_message=True),
    ]
    stored = json.loads(json.dumps(encode_replies(replies)))  # as the outbox keeps it
    back = decode_replies(stored)
    assert back == replies
    assert isinstance(back[0].params["level"], Key)
    catalogs = default_catalogs()
    for language in ("it", "en"):
        assert [catalogs.reply_text(language, r) for r in back] == [
            catalogs.reply_text(language, r) for r in replies
        ]
