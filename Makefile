# Summit Watch: two commands do all the set-up on a fresh machine.
#   make run    create .venv, install, upgrade the database, open the dashboard (demo on first run)
#   make test   install what the tests need (pip and Debian packages) and run the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_BIN := /usr/lib/postgresql/15/bin
APT_PACKAGES := chromium postgresql-15

.PHONY: run test lint check-migrations system-deps screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

## Start the worker and the dashboard on http://127.0.0.1:8501 (SQLite at data/tracker.db unless
## TRACKER_DATABASE_URL is set). Ctrl-C stops both.
run: $(VENV)/.runtime-installed
	$(BIN)/python -m tracker init
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(BIN)/python -m tracker scheduler & worker=$$!; \
	$(BIN)/streamlit run app.py --server.address 127.0.0.1

## Debian packages the tests need: Chromium for the browser tests, PostgreSQL 15 for the second backend.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ -x $(PG_BIN)/initdb ] || missing="$$missing postgresql-15"; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		echo "Installing Debian packages:$$missing"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

## Lint, check the layers and the types, check that models and migrations agree, then run every
## test on SQLite and PostgreSQL.
test: $(VENV)/.dev-installed system-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-migrations
	$(BIN)/python -m pytest

## ruff (lint and format), the import-linter contracts (docs/architecture.md) and mypy (strict on forecasts/ and db/).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## `alembic check` on a fresh database: fails when the models drift from the migrations.
check-migrations: $(VENV)/.dev-installed
	@tmp=$$(mktemp -d); export TRACKER_DATABASE_URL="sqlite:///$$tmp/check.db"; \
	$(BIN)/alembic upgrade head && $(BIN)/alembic check; rc=$$?; rm -rf "$$tmp"; exit $$rc

## Benchmarks (printed, never timed in tests): see docs/benchmarks.md.
bench: $(VENV)/.dev-installed
	PYTHONPATH=. $(BIN)/python bench/bench_scoring.py
	PYTHONPATH=. $(BIN)/python bench/bench_score_cli.py
	PYTHONPATH=. $(BIN)/python bench/bench_ingest.py
	PYTHONPATH=. $(BIN)/python bench/bench_pages.py
	PYTHONPATH=. $(BIN)/python bench/bench_import.py
	PYTHONPATH=. $(BIN)/python bench/bench_numeric_scores.py

## Retake the screenshots in docs/screenshots with the browser tests (`make test` never rewrites them).
## Pictures of every page for docs/screenshots (with Noto CJK, so Japanese headlines show as text, not boxes).
screenshots: $(VENV)/.dev-installed system-deps
	@fc-list :lang=ja | grep -q . || { sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq fonts-noto-cjk; }
	SUMMIT_SCREENSHOTS=1 $(BIN)/python -m pytest -m browser

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .mypy_cache .import_linter_cache
