# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.requirements-installed

.PHONY: run test test-fast lint browser bench clean

$(INSTALLED): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

## make run: migrate the store, load the demo once, start the scheduler and the UI
run: $(INSTALLED)
	$(PY) -m jobs.serve

## make test: lint, then every test, on SQLite and PostgreSQL, AppTest and the browser
test: lint browser
	$(PY) -m pytest

## make test-fast: core's database-free unit tests and its SQLite store tests, for the edit-test loop
test-fast: $(INSTALLED)
	@$(PY) -m pytest -q tests/core -m "not slow and not postgresql"; status=$$?; \
	echo "make test-fast took $$SECONDS s"; exit $$status

## make lint: ruff (lint and format check) on the whole project, mypy on core/
lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Browser tests need Debian's chromium; install it when missing and allowed (root + apt).
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests (about a minute)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	    || echo "chromium could not be installed: browser tests will be skipped (with CI=true they fail)"; \
	else echo "chromium is missing and cannot be installed here: browser tests will be skipped (with CI=true they fail)"; fi

bench: $(INSTALLED)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
