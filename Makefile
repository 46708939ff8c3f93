# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.requirements-installed

.PHONY: run test test-fast lint browser bench clean i18n

$(INSTALLED): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# The Indonesian catalogue, compiled from its .po (docs/glossary.md fixes the words).
CATALOGUE := core/i18n/locale/id/LC_MESSAGES/messages
$(CATALOGUE).mo: $(CATALOGUE).po $(INSTALLED)
	$(VENV)/bin/pybabel compile --domain messages --directory core/i18n/locale --locale id --statistics

## make i18n: extract the marked texts of the code, update the Indonesian catalogue, compile it
i18n: $(INSTALLED)
	$(VENV)/bin/pybabel extract --mapping-file babel.cfg --keywords "_ N_ _n:1,2" \
	  --no-location --sort-output --width 120 --project "Kopra Partnership" --output-file core/i18n/locale/messages.pot .
	$(VENV)/bin/pybabel update --input-file core/i18n/locale/messages.pot --domain messages --width 120 \
	  --output-dir core/i18n/locale --locale id --no-fuzzy-matching --ignore-obsolete
	$(MAKE) $(CATALOGUE).mo

## make run: migrate the store, load the demo once, start the scheduler and the UI
run: $(INSTALLED) $(CATALOGUE).mo
	$(PY) -m jobs.serve

## make test: lint, then every test, on SQLite and PostgreSQL, AppTest and the browser
test: lint browser $(CATALOGUE).mo
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
