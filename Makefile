# awstwin: the Student Performance pipeline on a local twin of AWS (S3, Glue, Athena, Redshift, Airflow).
# `make run` and `make test` are all a new user needs; every target installs what it needs itself.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

PROFILE ?= local
PORT ?= 4566
STATE_DIR ?= .state/emulator
TEST_WORKERS ?= auto
# The markers tests/conftest.py derives (pyproject.toml lists them): what `make test-fast` leaves out.
FAST_TESTS := not slow and not spark and not browser and not docker and not network
export PROFILE DATA DATA_ENCODING ROWS INGEST_DATE SEED STACK

.PHONY: help install run test test-fast lint emulator bench up down logs dashboard data deploy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: every process (a run, each test worker, each Airflow task) then imports Airflow,
# PySpark and boto3 from .pyc instead of compiling them again (these machines set PYTHONDONTWRITEBYTECODE).
# Then the Spark class archive (awstwin.endpoint.glue.jobs.classdata, about 25 s once): every Glue
# job's Spark driver maps the classes it would otherwise load from Spark's jars at each start.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	$(VENV)/bin/python -m awstwin.endpoint.glue.jobs.warm.archive
	@touch $@

# The project's own modules are compiled too, each time (only what changed): they are imported from
# src/ by every process, and without .pyc each endpoint start compiled them again (about 1 s of CPU).
install: $(VENV)/.synced ## create .venv from the lock file
	@$(VENV)/bin/python -m compileall -q -j 0 src dags spark_jobs > /dev/null

run: install ## run the whole pipeline (DATA=, DATA_ENCODING=, ROWS=, INGEST_DATE=, PROFILE=local|compose|aws)
	$(PY) -m awstwin run

test: install ## the one test command: every tier, in parallel (TEST_WORKERS=, default one per core plus one)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: install ## the unit and wire tests only (no Spark, Airflow run, stack, browser, Docker, network)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "$(FAST_TESTS)"

lint: install ## ruff, and the import contract (.importlinter: layers, no cycles; docs/ARCHITECTURE.md)
	$(VENV)/bin/ruff check src tests dags spark_jobs
	$(VENV)/bin/ruff format --check src tests dags spark_jobs
	PYTHONPATH=src/awstwin/glue_runtime $(VENV)/bin/lint-imports

emulator: install ## serve the local AWS endpoint in the foreground (PORT=, STATE_DIR=)
	$(PY) -m awstwin.endpoint --port $(PORT) --state-dir $(STATE_DIR)

bench: install ## awstwin vs what users would run instead, side by side (BENCH_QUICK=1, BENCH_ONLY=a,b, BENCH_RUNS=3, BENCH_BIG=1)
	$(PY) -m awstwin bench

up: install ## start the stack (Docker Compose when an engine answers, else the embedded stack; STACK=localstack: LocalStack + the emulator, no Docker)
	$(PY) -m awstwin up

down: install ## stop whatever `make up` started
	$(PY) -m awstwin down

logs: install ## follow the stack's logs
	$(PY) -m awstwin logs

dashboard: install ## serve the latest dashboard on localhost and print its URL
	$(PY) -m awstwin dashboard

data: install ## download the real dataset with kagglehub (needs Kaggle credentials)
	$(UV) run --frozen --with kagglehub python -m awstwin data

deploy: install ## deploy to AWS: make deploy PROFILE=aws [WAREHOUSE_CLIENT_CIDR=auto] [DEPLOY_ARGS=--no-execute]
	$(PY) -m awstwin deploy $(DEPLOY_ARGS)

clean: ## remove local state and artifacts (keeps .venv)
	rm -rf .state artifacts .build
