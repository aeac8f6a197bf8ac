# Orgdesk: `make demo` runs the product, `make test` runs every test (SQLite and PostgreSQL).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
# Parallel workers for pytest (2 cores on the project's machines).
PYTEST_WORKERS ?= 2

.PHONY: demo test test-sqlite test-postgres lint format bench-generate bench-list clean venv

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: Orgdesk needs Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/orgdesk demo --port $(PORT)

test: $(STAMP)
	@set -e; eval "$$(scripts/ensure-services.sh)"; \
	echo "== tests on SQLite =="; \
	ORGDESK_DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 ORGDESK_CACHE_PREFIX=test-sqlite \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS); \
	echo "== tests on PostgreSQL =="; \
	ORGDESK_DATABASE_URL=$$ORGDESK_PG_URL ORGDESK_CACHE_PREFIX=test-postgres \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	@eval "$$(scripts/ensure-services.sh)"; \
	ORGDESK_DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@eval "$$(scripts/ensure-services.sh)"; \
	ORGDESK_DATABASE_URL=$$ORGDESK_PG_URL $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# 1M accounts into PostgreSQL; figures to bench/results/.
bench-generate: $(STAMP)
	@eval "$$(scripts/ensure-services.sh)"; \
	$(BIN)/python bench/generate.py --database-url "$${ORGDESK_PG_URL%/*}/orgdesk_bench" \
	  --accounts 1000000 --orgs 5000 --fresh | tee bench/results/generate-postgresql-1m.json; \
	$(BIN)/python bench/generate.py --database-url sqlite:///$(CURDIR)/var/bench.sqlite3 \
	  --accounts 100000 --orgs 1000 --fresh | tee bench/results/generate-sqlite-100k.json

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache

# The Accounts tab at 1M accounts (needs `make bench-generate` first).
bench-list: $(STAMP)
	@eval "$$(scripts/ensure-services.sh)"; \
	ORGDESK_DATABASE_URL="$${ORGDESK_PG_URL%/*}/orgdesk_bench" $(BIN)/python bench/accounts_list.py
