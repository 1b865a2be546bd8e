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

.PHONY: help setup test run eval bench-matcher schemas stack-up stack-down stack-status clean

help:
	@echo "make run           start the local stack, run the demo, stop the stack"
	@echo "make test          start the local stack, run all tests, stop the stack"
	@echo "make setup         create .venv and install the project (done by the targets above)"
	@echo "make eval          matcher quality evaluation"
	@echo "make bench-matcher matcher speed benchmark"
	@echo "make schemas       export the JSON schemas of the messages"
	@echo "make stack-up | stack-down | stack-status"
	@echo "make clean         stop the stack and delete its state (.state)"

setup: $(STAMP)

# Debian's python3 cannot create venvs until python3-venv is installed; CI runs as root on a bare
# machine, so install it there, and tell everybody else what is missing.
$(BIN)/pip:
	@if ! $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; then \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "setup: installing python3-venv with apt-get"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null && \
			$(PYTHON) -m venv $(VENV) || exit 1; \
		else \
			echo "setup: '$(PYTHON) -m venv' failed; install python3-venv (sudo apt-get install python3-venv)" >&2; \
			exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml | $(BIN)/pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

# pytest exit code 5 means "no tests collected": a run that tested nothing must not pass.
test: setup
	@scripts/with-stack.sh $(BIN)/pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: pytest collected no tests; a run that tests nothing proves nothing" >&2; \
		exit 1; \
	fi; \
	exit $$status

run: setup
	scripts/with-stack.sh $(BIN)/interdict demo

eval: setup
	$(BIN)/pip install -q -e '.[eval]'
	$(BIN)/python -m benchmarks.eval_matcher

bench-matcher: setup
	$(BIN)/python -m benchmarks.bench_matcher

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
