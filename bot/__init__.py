"""CPS support bot: walks members through joining Canon Professional Services."""
