# Every target installs what it needs first (into .venv and node_modules).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
NODE_STAMP := node_modules/.installed
DOCS_STAMP := $(VENV)/.docs-installed
MOCK_ARGS ?=

.PHONY: install generate check-generated check-contract lint typecheck test test-fast mock demo bench docs clean

install: $(STAMP) $(NODE_STAMP)

# A venv made before the distribution was renamed holds this project as `inductiva`, the
# name of the vendor's unrelated package, which the client refuses to run beside: it goes.
UNINSTALL_OLD_NAME := $(PY) -m pip uninstall --quiet --yes inductiva >/dev/null 2>&1 || true

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(UNINSTALL_OLD_NAME)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(DEMO_STAMP)

# The demo needs only the client and its mock server, not the development tools.
$(DEMO_STAMP): pyproject.toml
	@echo "make demo: installing inductiva-tasks and its mock server into $(VENV) (pip install -e '.[mock]')"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(UNINSTALL_OLD_NAME)
	@$(PY) -m pip install --quiet -e '.[mock]'
	@touch $@

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

demo: $(DEMO_STAMP)
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
