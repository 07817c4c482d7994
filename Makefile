# wharf: `make demo` runs the engine's main job, `make test` the whole suite (both as root);
# `make unit` the tests that need neither root nor a daemon (any user, once the venv exists).
PY := .venv/bin/python
SOCK ?= /run/wharf/wharf.sock

.PHONY: setup setup-test demo test lint unit stop-demo

setup:
	bash scripts/setup.sh demo

setup-test:
	bash scripts/setup.sh test

demo: setup
	bash scripts/demo.sh

stop-demo:
	bash scripts/demo.sh stop

lint: setup-test
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy
	.venv/bin/lint-imports

test: setup-test lint
	$(PY) -m pytest -q -rs -p no:cacheprovider tests

$(PY):
	bash scripts/setup.sh test

unit: $(PY)
	$(PY) -m pytest -q -p no:cacheprovider -m "not root" tests/unit
