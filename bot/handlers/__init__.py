"""Channel adapters: events to Turns, Replies to the channel. No business rule lives here."""
