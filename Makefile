# Entry points. `make run` starts the local stack and runs the demo; `make test` runs every test
# against a fresh local stack. Both take the stack down afterwards, also when they fail.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall only when the project's metadata changed since the last install.
STAMP  := $(VENV)/.interdict-installed
STACK  := $(BIN)/python -m services.localstack

.PHONY: help setup prometheus chromium test test-faults test-reference check run eval bench-matcher bench-pipeline bench-ingest schemas stack-up stack-down stack-status clean

help:
	@echo "make run           start the local stack, run the demo, stop the stack"
	@echo "make test          start the local stack, run all tests, stop the stack"
	@echo "make test-faults   kill brokers, Redis and workers mid-stream (private stacks); a few minutes"
	@echo "make test-reference the importers against the real data in ../shared/data (needs it beside the checkout)"
	@echo "make check         lint (ruff), type-check (mypy) and check that schemas/ is current"
	@echo "make setup         create .venv, install the project, Debian's prometheus and chromium (done by the targets above)"
	@echo "make eval          matcher quality evaluation"
	@echo "make bench-matcher matcher speed benchmark"
	@echo "make bench-pipeline end-to-end throughput and latency on the local stack (ARGS=\"--manifests 20000\")"
	@echo "make bench-ingest  ingest per format (json, csv, cuscar, ais) against a pass-through (ARGS=\"--messages 5000\")"
	@echo "make schemas       export the JSON schemas of the messages"
	@echo "make stack-up | stack-down | stack-status"
	@echo "make clean         stop the stack, delete its state (.state) and the compiled matcher engine"

# The matcher engine's hot modules compiled with mypyc (scripts/compile_matcher.py), again whenever
# one of their sources changed; the engine loads the source instead of a build older than it.
ENGINE_MODULES := evidence identifiers index matcher normalize scoring scripts syllables
ENGINE_BUILD   := services/matcher/engine/compiled.json

setup: $(STAMP) $(ENGINE_BUILD) prometheus chromium

$(ENGINE_BUILD): $(ENGINE_MODULES:%=services/matcher/engine/%.py) scripts/compile_matcher.py $(STAMP)
	@$(BIN)/python -m services.localstack.prereqs engine-build
	$(BIN)/python scripts/compile_matcher.py

# Playwright (a dev dependency) drives a browser for the desk console's test, and never downloads
# one: not at install, not at run time. The browser is Debian's chromium, below.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# Debian's prometheus package (Prometheus and promtool): tests run the real server on a running
# pipeline and check deploy/prometheus with promtool. Installed with apt-get as root, its
# progress shown (about 100 MB); otherwise the command to run is printed and setup stops.
prometheus: | $(BIN)/pip
	@$(BIN)/python -m services.localstack.prereqs prometheus

# Debian's chromium, which the desk console's browser test runs headless (about 100 MB with its
# libraries): installed with apt-get as root, its progress shown; otherwise the command is printed.
chromium: | $(BIN)/pip
	@$(BIN)/python -m services.localstack.prereqs chromium

# Debian's python3 cannot create venvs until python3-venv is installed; CI runs as root on a bare
# machine, so install it there, and tell everybody else what is missing.
$(BIN)/pip:
	@echo "setup: creating the virtualenv $(VENV) with $(PYTHON)"
	@if ! $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; then \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "setup: installing python3-venv with apt-get"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null && \
			$(PYTHON) -m venv $(VENV) || exit 1; \
		else \
			echo "setup: '$(PYTHON) -m venv' failed; install python3-venv (sudo apt-get install -y python3-venv)" >&2; \
			exit 1; \
		fi; \
	fi

# PyICU, which normality needs, has no wheel: pip compiles it, which needs ICU's headers,
# pkg-config, g++ and Python's headers, and takes minutes with nothing to show. So it is built in a
# step of its own, announced, once its prerequisites are there: installed with apt-get as root (as
# above), else named with the command to run (services/localstack/prereqs.py uses the standard
# library only, so it runs before the project is installed). Skipped when the venv has PyICU.
# pip is not quiet: a long install must look alive.
$(STAMP): pyproject.toml | $(BIN)/pip
	@if ! $(BIN)/python -c 'import icu' >/dev/null 2>&1; then \
		$(BIN)/python -m services.localstack.prereqs pyicu-build || exit 1; \
		echo "setup: building PyICU from source (a few minutes)..."; \
		$(BIN)/pip install --progress-bar on PyICU || exit 1; \
	fi
	@echo "setup: installing the project and its dependencies into $(VENV)..."
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	@touch $@

# The test targets run on a stack of their own (.state/test-stack), its data deleted before each
# run: the stack of `make run` and `make stack-up` keeps its watchlists, and a test run never
# restarts a broker on the metadata of a previous one (thousands of topics created and deleted).
TEST_STACK = INTERDICT_STATE_DIR=$(CURDIR)/.state/test-stack scripts/with-stack.sh --fresh

# pytest exit code 5 means "no tests collected": a run that tested nothing must not pass.
# The engine's own tests (and the screen cache's, which pickles it) run a second time on its Python
# source (a few seconds): the compiled build and the source it was made from must answer alike.
ENGINE_TESTS = tests/unit/test_engine.py tests/unit/test_engine_normalize.py tests/unit/test_engine_other_names.py \
	tests/unit/test_engine_pruning.py tests/unit/test_engine_build.py tests/unit/test_matching_regression.py \
	tests/unit/test_engine_determinism.py tests/unit/test_engine_spellings.py tests/unit/test_screen.py
test: setup
	@$(BIN)/python -c 'from services.matcher.engine import BUILD; print("make test: matcher engine", BUILD)'
	@$(TEST_STACK) $(BIN)/pytest -q -m "not faults and not reference"; status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: pytest collected no tests; a run that tests nothing proves nothing" >&2; \
		exit 1; \
	fi; \
	if [ $$status -eq 0 ]; then \
		echo "make test: the engine's tests again, on its Python source (INTERDICT_MATCHER_COMPILED=0)"; \
		INTERDICT_MATCHER_COMPILED=0 $(BIN)/pytest -q $(ENGINE_TESTS) || status=1; \
	fi; \
	exit $$status

# Fault tests kill and restart the servers of a private stack each (started by the tests
# themselves); the shared stack only provides the Kafka jars and Redis binary already set up.
test-faults: setup
	@$(TEST_STACK) $(BIN)/pytest -q -m faults tests/faults; status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test-faults: pytest collected no tests" >&2; \
		exit 1; \
	fi; \
	exit $$status

# The importers and decoders against the real data beside the checkout (../shared/data): the whole
# OFAC list, the UN sample, the HS source, the CUSCAR sample. They fail, not skip, without it.
test-reference: setup
	@$(TEST_STACK) $(BIN)/pytest -q -m reference; status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test-reference: pytest collected no tests" >&2; \
		exit 1; \
	fi; \
	exit $$status

# Every check runs, so one run reports all of them; it fails if any failed. mypy's files and
# options, like ruff's rules, are in pyproject.toml. Needs no stack.
check: setup
	@status=0; \
	echo "$(BIN)/ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "$(BIN)/mypy"; $(BIN)/mypy || status=1; \
	echo "$(BIN)/interdict schemas check"; $(BIN)/interdict schemas check || status=1; \
	exit $$status

run: setup
	scripts/with-stack.sh $(BIN)/interdict demo

eval: setup
	$(BIN)/pip install -q -e '.[eval]'
	$(BIN)/python -m benchmarks.eval_matcher

bench-matcher: setup
	$(BIN)/python -m benchmarks.bench_matcher

# Options go in ARGS, e.g. make bench-pipeline ARGS="--manifests 20000 --workers 1 --json".
bench-pipeline: setup
	scripts/with-stack.sh $(BIN)/python -m benchmarks.bench_pipeline $(ARGS)

# Options go in ARGS, e.g. make bench-ingest ARGS="--messages 5000 --repeats 1 --formats json,ais --json".
bench-ingest: setup
	scripts/with-stack.sh $(BIN)/python -m benchmarks.bench_ingest $(ARGS)

schemas: setup
	$(BIN)/interdict schemas export

stack-up: setup
	$(STACK) up

stack-down: setup
	$(STACK) down

stack-status: setup
	$(STACK) status

# Only the default state dir is removed; a custom INTERDICT_STATE_DIR is yours to delete.
clean:
	@if [ -x $(BIN)/python ]; then $(STACK) down; fi
	rm -rf .state
	rm -f services/matcher/engine/*.so $(ENGINE_BUILD)
