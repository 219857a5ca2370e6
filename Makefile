# The two commands: `make run` (the whole product on this machine, nothing to configure) and `make test`.
# Everything runs from the project's own virtualenv in .venv, created on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install: reinstalls only when pyproject.toml changes (or .venv is deleted).
INSTALLED := $(VENV)/.installed
# The JS clients the tests drive (tests/clients/js), installed exactly as locked by `npm ci`; reinstalled only when
# package.json or package-lock.json changes (or node_modules is deleted).
JS_CLIENTS := tests/clients/js
JS_INSTALLED := $(JS_CLIENTS)/node_modules/.installed

.PHONY: install js-install run test test-e2e lint schema bench bench-jobs

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet -e '.[dev]'
	touch $(INSTALLED)

js-install: $(JS_INSTALLED)

$(JS_INSTALLED): $(JS_CLIENTS)/package.json $(JS_CLIENTS)/package-lock.json
	cd $(JS_CLIENTS) && npm ci --no-audit --no-fund
	touch $(JS_INSTALLED)

run: install
	$(PY) -m core.devrun

# Extra pytest arguments: make test ARGS='-k users -x'
test: install js-install
	$(PY) -m pytest $(ARGS)

# The browser tests (tests/e2e, left out of `make test`): GraphiQL in Debian's chromium, driven by Playwright for
# Python (a dev extra). No browser is ever downloaded: Debian's package is installed when the binary is missing.
# The tests launch this same path. Extra pytest arguments as for `make test`.
CHROMIUM := /usr/bin/chromium

test-e2e: install $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest --e2e tests/e2e $(ARGS)

$(CHROMIUM):
	scripts/install_chromium.sh $(CHROMIUM)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

schema: install
	$(VENV)/bin/strawberry export-schema graph.schema:schema --output schema.graphql

# The read-path benchmark, then the job benchmarks (bench/README.md).
bench: install
	$(PY) -m bench
	$(PY) -m bench.jobs

bench-jobs: install
	$(PY) -m bench.jobs
