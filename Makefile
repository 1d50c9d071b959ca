# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install run test lint bench clean vectors registry

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Each re-installs only when pyproject.toml changed since it last ran.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

# The development extras: linters, pytest, and torch for the optional sentence-transformers backend.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(RUN_STAMP)

install: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/thidua run

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check bot knowledge ingest tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

$(BENCH_STAMP): pyproject.toml $(DEV_STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/tune.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/flows.py
	$(BIN)/python bench/channels.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/instructions.py

# The bundled texts' prebuilt vectors (knowledge/sources/vectors-*.npz): run after editing a
# bundled text or the chunker; only new or changed chunks are embedded (~2.7 a second).
vectors: $(RUN_STAMP)
	$(BIN)/python -m ingest.prebuild

# The document registry (knowledge/sources/registry.yaml) from the project's registry table.
REGISTRY_TSV ?= ../shared/corpus/document-registry.tsv
registry: $(RUN_STAMP)
	$(BIN)/python -m ingest.registry_tsv $(REGISTRY_TSV)

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
