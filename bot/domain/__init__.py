"""The shared domain layer: models, rules as plain functions, services in a unit of work."""
