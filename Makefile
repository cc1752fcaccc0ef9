# newswatch: every target sets up what it needs on a fresh machine (a virtual environment in
# .venv with the project and its dev extras), then does its job.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install test test-unit demo eval eval-real bench bench-collect bench-process bench-alert \
        bench-replay bench-events kafka-up kafka-down clean

help:
	@echo "make demo    start a local Kafka and run the pipeline on the seed feeds"
	@echo "make test    run the whole test suite (starts its own broker)"
	@echo "make eval    precision/recall/F1 of the default rules on the development set"
	@echo "make eval-real  the same on the real-article set, from its recorded decisions"
	@echo "make bench   run every benchmark in bench/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "newswatch needs Python 3.11+")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(BIN)/python -m pytest -m "not kafka" $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/newswatch demo

eval: $(STAMP)
	$(BIN)/python -m bench.eval_rules

eval-real: $(STAMP)
	$(BIN)/python -m bench.eval_real

bench: bench-collect bench-process bench-alert bench-replay bench-events

bench-collect: $(STAMP)
	$(BIN)/python -m bench.bench_collect

bench-process: $(STAMP)
	$(BIN)/python -m bench.bench_process

bench-alert: $(STAMP)
	$(BIN)/python -m bench.bench_alert

bench-replay: $(STAMP)
	$(BIN)/python -m bench.bench_replay

bench-events: $(STAMP)
	$(BIN)/python -m bench.bench_events

kafka-up: $(STAMP)
	$(BIN)/newswatch kafka up

kafka-down: $(STAMP)
	$(BIN)/newswatch kafka down

clean:
	-$(BIN)/newswatch kafka down
	rm -rf .newswatch .pytest_cache
