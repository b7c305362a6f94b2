"""One module per member goal."""
