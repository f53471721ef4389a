# The README's commands. Each target sets itself up on a fresh clone:
# a .venv with pinned dependencies, and profiles.yml from profiles.yml.example.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt

# The demo's knobs come from the command line only (`make demo EVENTS=200000`): an EVENTS or
# SOURCE left in a shell's environment must not change what the demo reads.
from_command_line = $(if $(filter command line,$(origin $(1))),$($(1)),$(2))
EVENTS := $(call from_command_line,EVENTS,1000000)
SEED := $(call from_command_line,SEED,42)
SOURCE := $(call from_command_line,SOURCE,)
# CHECK=0 skips the independent Python check of every mart (it takes ~30 s per
# million rows, so about 20 minutes for the real 42 M-row October file).
CHECK := $(call from_command_line,CHECK,1)
# make bench's size: EVENTS when given on the command line, else 10 M (not the demo's 1 M).
BENCH_EVENTS := $(call from_command_line,EVENTS,10000000)
# make bench COMPARE_EVENTS=10000000: the same bench first on that shorter history, then the growth of the day.
COMPARE_EVENTS := $(call from_command_line,COMPARE_EVENTS,)
DOCS_PORT ?= 8080
DASHBOARD_DIR := data/dashboard
DASHBOARD_FILES := $(addprefix $(DASHBOARD_DIR)/dashboard.,html png pdf)

# The demo's own folder (made with a marker by `python -m workspace claim`, emptied by the next
# demo, removed by `make clean`): its generated files, raw layout, expected values and warehouse.
DEMO_DIR := data/demo
# Relative to the repository (every command runs there), so a clone path with spaces or quotes
# never reaches a shell word.
DEMO_RAW_DIR := $(DEMO_DIR)/raw
DEMO_DATABASE := $(DEMO_DIR)/ecommerce.duckdb
# Folders only the project's commands make (each carries the workspace marker).
OWNED_DIRS := $(DEMO_DIR) data/bench

export DBT_PROFILES_DIR ?= $(CURDIR)
# `make build`, `dashboard` and `docs` use the environment's raw folder and warehouse, else the demo's.
export ECOM_RAW_DIR ?= $(DEMO_RAW_DIR)
export ECOM_DUCKDB_PATH ?= $(DEMO_DATABASE)
# pre-commit's own state (it installs nothing: every hook is a local one run from .venv).
export PRE_COMMIT_HOME ?= $(CURDIR)/.cache/pre-commit

# The demo uses its own paths and the local target whatever the environment says: a shell with
# ECOM_RAW_DIR pointing at a real landing folder, or DBT_TARGET=athena, must not reach them.
demo: export ECOM_RAW_DIR := $(DEMO_RAW_DIR)
demo: export ECOM_DUCKDB_PATH := $(DEMO_DATABASE)
demo: export DBT_TARGET := local
demo: export DBT_PROFILES_DIR := $(CURDIR)

# Every SQL file sqlfluff checks (.sqlfluff, docs/sql-style.md).
SQL_DIRS := models tests analyses macros snapshots

.PHONY: help setup demo test test-fast lint format parse hooks build dashboard docs athena-smoke bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# uv installs the pinned requirements (a minute faster than pip on a fresh clone); it comes from
# PyPI into .venv at this exact version. --compile-bytecode: a fresh venv's first imports
# (dbt's, in every test that starts it) read compiled files even where Python writes none.
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
UV_INSTALL = $(UV) pip install --quiet --compile-bytecode --python

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV_INSTALL) $(PY) -r requirements.txt
	touch $@

profiles.yml:
	cp profiles.yml.example profiles.yml

setup: $(VENV)/.installed profiles.yml  ## create .venv and profiles.yml (done by every target)

# The benchmark's extra packages (PySpark, psutil), installed once into .venv.
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(UV_INSTALL) $(PY) -r requirements-bench.txt
	touch $@

# infra/'s checks (tests/python/test_infra.py): parliament into .venv (cfn-lint comes with
# requirements.txt), checkov into a virtualenv of its own, .venv/infra (inside .venv, so git,
# ruff and `make clean` treat it as .venv): its pins conflict with requirements.txt (boto3,
# networkx, packaging; pip would fall back to a 2022 checkov), see requirements-infra.txt.
INFRA_VENV := $(VENV)/infra
$(VENV)/.infra-installed: requirements-infra.txt infra/requirements-checkov.txt $(VENV)/.installed
	$(UV_INSTALL) $(PY) -r requirements-infra.txt
	$(PYTHON) -m venv --without-pip $(INFRA_VENV)
	$(UV_INSTALL) $(INFRA_VENV)/bin/python -r infra/requirements-checkov.txt
	touch $@

demo: setup  ## generate ~1M events (EVENTS=N) or take SOURCE=<file|folder>, land, dbt build, summary, dashboard
	$(PY) -m workspace claim $(DEMO_DIR) --owner "make demo" $(if $(strip $(SOURCE)),--refuse-inside "$(SOURCE)")
ifeq ($(strip $(SOURCE)),)
	$(PY) -m synthetic_events --out $(DEMO_DIR)/generated --events $(EVENTS) --seed $(SEED) \
		$(if $(filter 1,$(CHECK)),--expected $(DEMO_DIR)/expected.json,--no-expected)
	$(PY) -m ingest land --source $(DEMO_DIR)/generated --dest $(DEMO_RAW_DIR)
else
	$(PY) -m ingest land --source "$(SOURCE)" --dest $(DEMO_RAW_DIR)
ifeq ($(CHECK),1)
	@echo "computing the expected values of $(SOURCE) in plain Python (independent of dbt)..."
	$(PY) -m mart_oracle expect --source $(DEMO_RAW_DIR) --out $(DEMO_DIR)/expected.json
endif
endif
	$(DBT) build --full-refresh
	@# freshness is shown by the report's Data health; the demo's events are from 2019, so the
	@# events check says "error" by design and the demo goes on
	$(DBT) source freshness || echo "dbt source freshness: a source is stale (see Data health below)"
ifeq ($(CHECK),1)
	$(PY) -m mart_oracle report --database $(DEMO_DATABASE) --expected $(DEMO_DIR)/expected.json
else
	$(PY) -m mart_oracle report --database $(DEMO_DATABASE)
endif
	@$(MAKE) --no-print-directory dashboard ECOM_DUCKDB_PATH=$(DEMO_DATABASE)

build: setup  ## dbt build on the local DuckDB target over what is landed in ECOM_RAW_DIR
	$(DBT) build

dashboard: setup  ## render data/dashboard/dashboard.html (+ .png, .pdf with chromium) from the marts
	$(PY) -m dashboard render --database "$(ECOM_DUCKDB_PATH)" --out $(DASHBOARD_DIR)

docs: setup  ## dbt docs generate, then serve the lineage site on port 8080 (DOCS_PORT)
	$(DBT) docs generate
	$(DBT) docs serve --port $(DOCS_PORT) --no-browser

athena-smoke: setup  ## on your AWS account: generate, land, crawl, dbt build --target athena, check KPIs, clean up
	$(PY) -m aws_smoke

bench: setup $(VENV)/.bench-installed  ## time dbt (full, incremental, no-op) against DuckDB's floor and PySpark on EVENTS (10M), with its Athena estimate; COMPARE_EVENTS= adds a shorter history; appends docs/benchmarks.md
	$(PY) -m bench run --events $(BENCH_EVENTS) --seed $(SEED)$(if $(COMPARE_EVENTS), --compare-events $(COMPARE_EVENTS))

# The suite on every core: tests that share a module's fixture stay on one worker
# (--dist loadgroup), builds that many modules read are made once (tests/python/conftest.py).
# TEST_WORKERS=0 runs it in this one process; docs/testing.md has the parts and their times.
TEST_WORKERS ?= auto
PYTEST_ARGS := -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=25

test: setup $(VENV)/.bench-installed $(VENV)/.infra-installed  ## pre-commit's checks on every file (lint, YAML, secrets, ...), then the pytest suite
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure
	$(PY) -m pytest $(PYTEST_ARGS)

# TEST_FAST_SUITE makes a test that starts dbt, a browser or a scanner without its marker fail.
test-fast: setup $(VENV)/.bench-installed $(VENV)/.infra-installed  ## the tests that run no dbt, browser or scanner (about a minute): the loop for a Python change
	TEST_FAST_SUITE=1 $(PY) -m pytest $(PYTEST_ARGS) -m "not dbt and not browser and not scanner"

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

clean:  ## remove what the commands made (data/demo, data/bench, the dashboard files, target/, logs/); your files in data/ stay
	$(PYTHON) -m workspace clean $(OWNED_DIRS)
	rm -f $(DASHBOARD_FILES)
	if [ -d $(DASHBOARD_DIR) ]; then rmdir --ignore-fail-on-non-empty $(DASHBOARD_DIR); fi
	rm -rf target logs
