# Logbook: `make run` serves the embedded default; `make test` runs the whole suite (SQLite, then
# PostgreSQL + Redis when they are reachable). `make help` lists everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
PG_TEST_URL ?= postgresql+psycopg://postgres@localhost:5432/postgres
REDIS_TEST_URL ?= redis://localhost:6379/15
PYTEST_ARGS ?=

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/logbook: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

# Logbook's stylesheet, compiled from GOV.UK Frontend's Sass with the council's settings (Arial, brand colour);
# rebuilt only when a source or the installed packages change.
CSS := idp/static/build/logbook.css
$(CSS): $(wildcard idp/static/scss/*.scss) node_modules/.package-lock.json
	@mkdir -p $(@D)
	node_modules/.bin/sass --no-source-map --style=compressed --load-path=node_modules idp/static/scss/logbook.scss $@

.PHONY: setup
setup: $(BIN)/logbook node_modules/.package-lock.json $(CSS) ## Create .venv, install the package, build front-end assets

.PHONY: migrate
migrate: setup ## Apply database migrations (creates instance/ and keys/ on first use)
	$(BIN)/logbook db upgrade

.PHONY: run
run: migrate ## Set up and serve on http://127.0.0.1:5000 (SQLite under instance/)
	@echo "Logbook on http://$(HOST):$(PORT)/  (discovery: /.well-known/openid-configuration)"
	$(BIN)/gunicorn --config python:idp.ops.gunicorn_conf --preload --workers $(WORKERS) --bind $(HOST):$(PORT) 'idp.app:create_app()'

.PHONY: demo
demo: setup ## Seed demo data, run Logbook and the four example services (clients/examples/) until Ctrl-C
	$(BIN)/python -m clients.examples.run_demo

.PHONY: browser
browser: ## Install Debian's Chromium for the browser tests (when missing)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

.PHONY: lint
lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: format
format: setup ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: test
test: setup browser lint ## Set up and run the whole suite: SQLite, then PostgreSQL + Redis when reachable
	@echo "== Test suite on the embedded default (SQLite, in-process state)"
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)
	@if $(BIN)/python -m tests.services_reachable "$(PG_TEST_URL)" "$(REDIS_TEST_URL)"; then \
		echo "== Test suite on the scale-out path (PostgreSQL + Redis)"; \
		TEST_DATABASE_URL="$(PG_TEST_URL)" TEST_REDIS_URL="$(REDIS_TEST_URL)" LOGBOOK_REQUIRE_SCALE_OUT=1 \
			$(BIN)/pytest -n 2 $(PYTEST_ARGS); \
	else \
		echo "== PostgreSQL or Redis not reachable: the scale-out run was SKIPPED"; \
		if [ -n "$${CI:-}" ]; then echo "CI must run both"; exit 1; fi; \
	fi

.PHONY: test-fast
test-fast: setup ## Run the suite on SQLite only, without lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

.PHONY: bench
bench: setup ## Benchmarks on loopback (bench/): Logbook vs node-oidc-provider, then every other bench script
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
		|| echo "wrk could not be installed: the Python load generator is used instead"
	$(BIN)/pip install --quiet -e '.[bench]'
	bench/compare.sh
	@for script in $(filter-out bench/__init__.py bench/harness.py bench/loadgen.py bench/workloads.py \
		bench/token_client_credentials.py bench/introspection.py,$(wildcard bench/*.py)); do \
		module=$$(basename $$script .py); echo "== bench.$$module"; $(BIN)/python -m bench.$$module || exit 1; \
	done

.PHONY: clean
clean: ## Remove the virtualenv, assets and caches (keeps instance/ and keys/)
	rm -rf $(VENV) node_modules idp/static/build .pytest_cache .ruff_cache .mypy_cache
