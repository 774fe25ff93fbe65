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
export PROFILE DATA ROWS INGEST_DATE SEED STACK

.PHONY: help install run test lint emulator bench up down logs dashboard data deploy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced ## create .venv from the lock file

run: install ## run the whole pipeline (DATA=, ROWS=, INGEST_DATE=, PROFILE=local|compose|aws)
	$(PY) -m awstwin run

test: install ## the one test command (unit, conformance, end-to-end, DAG integrity)
	$(PY) -m pytest

lint: install ## ruff
	$(VENV)/bin/ruff check src tests dags spark_jobs
	$(VENV)/bin/ruff format --check src tests dags spark_jobs

emulator: install ## serve the local AWS endpoint in the foreground (PORT=, STATE_DIR=)
	$(PY) -m awstwin.endpoint --port $(PORT) --state-dir $(STATE_DIR)

bench: install ## speed and memory measurements
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
