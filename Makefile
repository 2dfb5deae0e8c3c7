# TrialBridge developer tasks (DESIGN.md §11). `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test lint format services-status stop clean-data bench

help:
	@echo "make run         web + Celery worker + beat on http://127.0.0.1:8000 (Ctrl-C stops)"
	@echo "make test        the test suite (pytest arguments: make test ARGS='-k audit -x')"
	@echo "make lint        ruff check + ruff format --check"
	@echo "make format      ruff format + ruff check --fix"
	@echo "make bench       benchmarks over HTTP with wrk (bench/README.md; ARGS='--scale 0.01')"
	@echo "make stop        stop the embedded PostgreSQL and Redis (data kept in .data/)"
	@echo "make clean-data  stop them and delete .data/"
	@echo "DATABASE_URL / REDIS_URL, when set, are used instead of the embedded services."

# The virtualenv, and the project installed into it whenever pyproject.toml is newer than
# the last install.
$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(PY) -m devtools.run

test: $(STAMP)
	$(PY) -m devtools.test $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

services-status: $(STAMP)
	$(PY) -m devtools.services status

stop: $(STAMP)
	$(PY) -m devtools.services stop

clean-data:
	@if [ -x $(PY) ]; then $(PY) -m devtools.services clean; else rm -rf .data; fi

# Benchmarks (bench/README.md): BENCH_DATABASE_URL (default tb_bench on local PostgreSQL) gets
# the synthetic bench data set; needs wrk (apt-get install -y wrk) for the timing columns.
bench: $(STAMP)
	$(PY) -m bench.run --out .data/bench-latest.md $(ARGS)
