# The two commands a new machine needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The environment is rebuilt only when the lock file or the package metadata changes.
LOCK_HASH := $(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(LOCK_HASH)

export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY ?= False
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false

.PHONY: help setup system-packages run test lint docs bench bench-parts up down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

system-packages: ## Debian packages the project needs (Tesseract + Vietnamese model, fonts); idempotent
	@bash scripts/install-system-packages.sh

setup: system-packages $(STAMP) ## create the pinned environment (.venv) if the lock changed

run: setup ## load the sample report and exports through the Airflow DAGs, build, check, publish
	$(BIN)/cchc run

test: setup ## the whole test suite (needs PostgreSQL on 127.0.0.1:5432 for some tests)
	$(BIN)/pytest

lint: setup ## ruff on Python, sqlfluff on the dbt models
	$(BIN)/ruff check ingest expectations dags tests
	$(BIN)/python -c "from ingest.warehouse import connect; connect('$${TMPDIR:-/tmp}/cchc-lint.duckdb').close()"
	CCHC_WAREHOUSE=$${TMPDIR:-/tmp}/cchc-lint.duckdb DBT_TARGET_PATH=$${TMPDIR:-/tmp}/cchc-lint-target DBT_LOG_PATH=$${TMPDIR:-/tmp}/cchc-lint-logs $(BIN)/sqlfluff lint dbt_project/models

docs: setup ## build the dbt docs; show where they and the GX Data Docs are (serve: cchc docs --serve)
	$(BIN)/cchc docs

bench: setup ## the whole path at 10M dossiers against its baselines (bench/results/pipeline.md)
	$(BIN)/python bench/bench_pipeline.py

bench-parts: setup ## the other benchmarks under bench/ (one part each, see bench/README.md)
	$(BIN)/python bench/bench_load_exports.py
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_gate.py
	$(BIN)/python bench/bench_engines.py
	$(BIN)/python bench/bench_report_quality.py
	$(BIN)/python bench/bench_check_report.py
	$(BIN)/python bench/bench_ocr.py

up: ## start the production-like stack (needs a Docker engine)
	docker compose up -d --build

down: ## stop the stack
	docker compose down

clean: ## remove the warehouse, Airflow home and dbt artifacts (keeps .venv)
	rm -rf warehouse/*.duckdb warehouse/serving .airflow dbt_project/target dbt_project/logs
