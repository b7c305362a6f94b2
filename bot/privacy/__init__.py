"""Members' privacy: text that must not be kept (passwords, codes, link tokens) and
personal data that is masked before it is stored, forwarded or logged.

Plain text functions with no import from the rest of the bot, so every layer (domain,
flows, handlers, logging) applies the same rules.
"""
