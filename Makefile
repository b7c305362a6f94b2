# The two commands the README opens with: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.installed

.PHONY: run test setup lint clean

# (Re)install only when the project's dependencies change.
$(READY): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

setup: $(READY)

## Sets up and runs the bot on the embedded defaults (SQLite in ./var, demo members).
run: setup
	$(BIN)/cps-bot db init --demo
	$(BIN)/cps-bot member list

## Sets up and runs every check: lint, then the test suite (SQLite and PostgreSQL).
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
