PY ?= .venv/bin/python

.PHONY: all test lint fmt bench install
all: test lint

install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'

test:
	$(PY) -m pytest -q

lint:
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m mypy

fmt:
	$(PY) -m ruff format src tests benchmarks
	$(PY) -m ruff check --fix src tests benchmarks

bench:
	$(PY) benchmarks/extract.py
	$(PY) benchmarks/run_day.py --papers 20 --llm-latency 3
