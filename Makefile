# The two commands that matter: `make test` and `make run`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-fast run lint bench clean soak

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Every test: unit, integration (RabbitMQ on 127.0.0.1:5672 + embedded MongoDB),
## sandboxes over HTTP, end-to-end and fault tests.
test: $(STAMP)
	$(PY) -m pytest

## Only tests without I/O.
test-fast: $(STAMP)
	$(PY) -m pytest -m unit

## The convergence suite over many seeds: `make soak SEEDS=20` replays seeds
## 1..20; CONVERGENCE_SEEDS="4,9,17" picks them; CONVERGENCE_SHRINK=1 shrinks
## a failing seed to a minimal action list.
SEEDS ?= 20
soak: $(STAMP)
	CONVERGENCE_SEEDS="$${CONVERGENCE_SEEDS:-1-$(SEEDS)}" $(PY) -m pytest tests/convergence -p no:cacheprovider

## The whole system on this machine: embedded MongoDB, sandboxes, services.
run: $(STAMP)
	$(PY) -m services.devstack

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict common services
	$(VENV)/bin/mypy tests bench

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
