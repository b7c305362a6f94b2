"""Entity parsers: read a member's answer into a clean value, or say what is wrong with it."""
