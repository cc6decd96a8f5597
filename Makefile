# One task runner: `make run` (the main job) and `make test` (the whole suite) are the README's
# two commands; both install uv and the locked dependencies first, so a fresh machine needs
# only Python 3.11 and make.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# Tests and the main job read the shared data mirror when it is there (offline installs);
# without it the loaders download from the official sources into the cache.
MIRROR ?= $(abspath ../shared/data)
ifneq ($(wildcard $(MIRROR)),)
export CLUSTERHUB_DATA_MIRROR ?= $(MIRROR)
endif
OUT ?= out
HOST ?= 127.0.0.1
PORT ?= 8000

# The browser tests (tests/e2e) drive Debian's Chromium: Playwright cannot download browsers.
CHROMIUM ?= $(or $(CLUSTERHUB_CHROMIUM),/usr/bin/chromium)

.PHONY: run build test lint bench docs uv sync browser

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv || python3 -m pip install --quiet --user --break-system-packages uv

# Bytecode compiled at install, as pip does: without it, where PYTHONDONTWRITEBYTECODE is set
# (containers, CI), every command recompiles every module it imports (~0.4 s per command).
# EXTRAS adds optional extras (`make test EXTRAS=spark` installs pyspark, so the Spark engine's
# tests run instead of skipping); --inexact keeps an extra installed earlier.
EXTRAS ?=
sync: uv
	@$(UV) sync --frozen --inexact --quiet --compile-bytecode $(addprefix --extra ,$(EXTRAS))
	@$(UV) run --frozen --no-sync python -m compileall -q src >/dev/null

run: sync
	$(UV) run --frozen clusterhub serve --host $(HOST) --port $(PORT)

build: sync
	$(UV) run --frozen clusterhub build --out $(OUT)

# Installs Chromium when it is missing and we may (root with apt-get); otherwise says in one
# line how many browser tests will skip and how to install it, instead of skipping silently.
browser:
	@if [ ! -x "$(CHROMIUM)" ] && [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Chromium for the browser tests: apt-get install chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	    || echo "could not install Chromium"; \
	fi
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  n=$$($(UV) run --frozen pytest --collect-only -q -m e2e tests/e2e 2>/dev/null | grep -c '::'); \
	  echo "NOTE: $$n browser tests will skip: no Chromium at $(CHROMIUM) (install: sudo apt-get install chromium, or set CLUSTERHUB_CHROMIUM)"; \
	fi

test: sync browser
	$(UV) run --frozen pytest -n 2 --dist loadgroup --durations=25

lint: sync
	$(UV) run --frozen ruff check src tests benchmarks
	$(UV) run --frozen ruff format --check src tests benchmarks
	$(UV) run --frozen mypy

docs: sync
	$(UV) run --frozen typer clusterhub.cli utils docs --name clusterhub --output docs/reference/cli.md
	$(UV) run --frozen python -c "from clusterhub.config import settings_reference as s; print(s(), end='')" > docs/reference/settings.md

bench: sync
	$(UV) run --frozen python -m benchmarks.bench_mapping --write
