"""The members' web app: the password page an e-mailed link opens (R1), `/healthz`.

A channel adapter like `bot/handlers/`: HTTP in, HTML out, and no business rule. It reaches
the domain only through `bot.flows.password_page` (what a link and a form sent with it
come to), as the chat channels reach it through the dialogue engine; tests/test_architecture.py
holds it to the handlers' rules. Served alone by `cps-bot web`, and beside Telegram's webhook
by `cps-bot run --mode webhook`.
"""
