"""Use cases: each opens one unit of work, applies the rules and commits, or changes nothing."""
