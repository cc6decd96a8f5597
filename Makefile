# One task runner: `make run` (the main job) and `make test` (the whole suite) are the README's
# two commands; both install uv and the locked dependencies first, so a fresh machine needs
# only Python 3.11 and make.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# Tests and the main job read the shared data mirror when it is there (offline installs);
# without it the loaders download from the official sources into the cache.
MIRROR ?= $(abspath ../shared/data)
export CLUSTERHUB_DATA_MIRROR ?= $(if $(wildcard $(MIRROR)),$(MIRROR),)
OUT ?= out
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run build test lint bench docs uv sync

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv || python3 -m pip install --quiet --user --break-system-packages uv

# Bytecode compiled at install, as pip does: without it, where PYTHONDONTWRITEBYTECODE is set
# (containers, CI), every command recompiles every module it imports (~0.4 s per command).
sync: uv
	@$(UV) sync --frozen --quiet --compile-bytecode
	@$(UV) run --frozen --no-sync python -m compileall -q src >/dev/null

run: sync
	$(UV) run --frozen clusterhub serve --host $(HOST) --port $(PORT)

build: sync
	$(UV) run --frozen clusterhub build --out $(OUT)

test: sync
	$(UV) run --frozen pytest -n 2

lint: sync
	$(UV) run --frozen ruff check src tests benchmarks
	$(UV) run --frozen ruff format --check src tests benchmarks
	$(UV) run --frozen mypy

docs: sync
	$(UV) run --frozen typer clusterhub.cli utils docs --name clusterhub --output docs/reference/cli.md
	$(UV) run --frozen python -c "from clusterhub.config import settings_reference as s; print(s(), end='')" > docs/reference/settings.md

bench: sync
	$(UV) run --frozen python -m benchmarks.bench_mapping --write
