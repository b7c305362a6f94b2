"""Understanding: one parser interface, two engines (embedded, Rasa), entity parsers."""
