"""Channel-agnostic dialogues: a Turn in, Replies out. Never imports a channel or SQLAlchemy."""
