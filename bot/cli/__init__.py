"""The `cps-bot` command line."""
