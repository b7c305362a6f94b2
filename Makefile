# The two commands the README opens with: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.installed

.PHONY: run test test-fast setup clean

# (Re)install only when the project's dependencies change.
$(READY): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

setup: $(READY)

## Sets up and runs the bot on the embedded defaults: SQLite in ./var, embedded NLU,
## the console chat with a demo member to pick.
run: setup
	$(BIN)/cps-bot db init --demo
	$(BIN)/cps-bot chat

## Sets up and runs every check: lint, then the test suite (SQLite and PostgreSQL, and the
## password page in Debian's Chromium, installed here when it is missing).
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)
	$(BIN)/pytest

## The same without the Rasa server test (no Python 3.10 venv needed).
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not rasa"

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
