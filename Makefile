# The README's commands. Each target sets itself up on a fresh clone:
# a .venv with pinned dependencies, and profiles.yml from profiles.yml.example.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt

EVENTS ?= 1000000
SEED ?= 42
SOURCE ?=
# CHECK=0 skips the independent Python check of every mart (it takes ~30 s per
# million rows, so about 20 minutes for the real 42 M-row October file).
CHECK ?= 1
DEMO_DIR := data/demo
# make bench's size: EVENTS when given on the command line, else 10 M (not the demo's 1 M).
BENCH_EVENTS := $(if $(filter command line,$(origin EVENTS)),$(EVENTS),10000000)
DOCS_PORT ?= 8080
DASHBOARD_DIR := data/dashboard

export DBT_PROFILES_DIR ?= $(CURDIR)
export ECOM_RAW_DIR ?= $(CURDIR)/$(DEMO_DIR)/raw
export ECOM_DUCKDB_PATH ?= $(CURDIR)/data/ecommerce.duckdb
# pre-commit's own state (it installs nothing: every hook is a local one run from .venv).
export PRE_COMMIT_HOME ?= $(CURDIR)/.cache/pre-commit

# Every SQL file sqlfluff checks (.sqlfluff, docs/sql-style.md).
SQL_DIRS := models tests analyses macros snapshots

.PHONY: help setup demo test lint format parse hooks build dashboard docs athena-smoke bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

profiles.yml:
	cp profiles.yml.example profiles.yml

setup: $(VENV)/.installed profiles.yml  ## create .venv and profiles.yml (done by every target)

# The benchmark's extra packages (PySpark, psutil), installed once into .venv.
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

demo: setup  ## generate ~1M events (EVENTS=N) or take SOURCE=<file|folder>, land, dbt build, summary, dashboard
	rm -rf $(DEMO_DIR)
ifeq ($(strip $(SOURCE)),)
	$(PY) -m ingest generate --out $(DEMO_DIR)/generated --events $(EVENTS) --seed $(SEED) \
		$(if $(filter 1,$(CHECK)),--expected $(DEMO_DIR)/expected.json,--no-expected)
	$(PY) -m ingest land --source $(DEMO_DIR)/generated --dest $(ECOM_RAW_DIR)
else
	$(PY) -m ingest land --source "$(SOURCE)" --dest $(ECOM_RAW_DIR)
ifeq ($(CHECK),1)
	@echo "computing the expected values of $(SOURCE) in plain Python (independent of dbt)..."
	$(PY) -m ingest expect --source $(ECOM_RAW_DIR) --out $(DEMO_DIR)/expected.json
endif
endif
	$(DBT) build --full-refresh
ifeq ($(CHECK),1)
	$(PY) -m ingest report --database $(ECOM_DUCKDB_PATH) --expected $(DEMO_DIR)/expected.json
else
	$(PY) -m ingest report --database $(ECOM_DUCKDB_PATH)
endif
	@$(MAKE) --no-print-directory dashboard

build: setup  ## dbt build on the local DuckDB target over what is landed in ECOM_RAW_DIR
	$(DBT) build

dashboard: setup  ## render data/dashboard/dashboard.html (+ .png, .pdf with chromium) from the marts
	$(PY) -m dashboard render --database $(ECOM_DUCKDB_PATH) --out $(DASHBOARD_DIR)

docs: setup  ## dbt docs generate, then serve the lineage site on port 8080 (DOCS_PORT)
	$(DBT) docs generate
	$(DBT) docs serve --port $(DOCS_PORT) --no-browser

athena-smoke: setup  ## on your AWS account: generate, land, crawl, dbt build --target athena, check KPIs, clean up
	$(PY) -m ingest.smoke

bench: setup $(VENV)/.bench-installed  ## time dbt (full, incremental, no-op) against DuckDB's floor and PySpark on EVENTS (10M); appends docs/benchmarks.md
	$(PY) -m bench run --events $(BENCH_EVENTS) --seed $(SEED)

test: setup $(VENV)/.bench-installed  ## pre-commit's checks on every file (lint, YAML, secrets, ...), then the pytest suite
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure
	$(PY) -m pytest

lint: setup  ## check SQL style (sqlfluff), Python (ruff, mypy), the workflows (actionlint), dbt parse
	$(VENV)/bin/sqlfluff lint $(SQL_DIRS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/actionlint -shellcheck=$(VENV)/bin/shellcheck
	@$(MAKE) --no-print-directory parse

format: setup  ## fix what can be fixed: ruff format, ruff's safe fixes, sqlfluff fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/sqlfluff fix $(SQL_DIRS)

parse: setup  ## dbt parse: the project's YAML, Jinja and refs hold together (no database needed)
	$(DBT) parse --quiet

hooks: setup  ## run pre-commit's checks on every git commit
	$(VENV)/bin/pre-commit install

clean:  ## remove generated data, the DuckDB file and dbt output
	rm -rf data target logs
