# Every target installs what it needs first (into .venv and node_modules).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
DOCS_STAMP := $(VENV)/.docs-installed
MOCK_ARGS ?=

.PHONY: install generate check-generated check-contract lint typecheck test test-fast mock demo bench docs clean

install: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

generate: $(STAMP)
	$(PY) scripts/generate.py

check-generated: $(STAMP)
	$(PY) scripts/generate.py --check

check-contract: $(STAMP)
	$(PY) scripts/check_contract.py

lint: $(STAMP)
	$(BIN)/ruff check inductiva mock_server tests scripts
	$(BIN)/ruff format --check inductiva mock_server tests scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: install
	$(BIN)/pytest -q

mock: $(STAMP)
	$(PY) -m inductiva_mock $(MOCK_ARGS)

demo: $(STAMP)
	$(PY) -m inductiva.demo

bench: $(STAMP)
	$(PY) scripts/bench.py

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@

# The docs site (docs/, mkdocs.yml) into site/; --strict: a broken link, anchor or
# reference fails the build.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache .demo .bench site
