# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# PostgreSQL and Redis used by the second test pass (and by `.ci/run`).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fundmgr
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14
export TEST_REDIS_URL

.PHONY: run test test-sqlite test-postgres lint venv messages migrate seed clean bench

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/prod.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $@

messages: venv
	$(PY) scripts/compile_messages.py

migrate: venv messages
	mkdir -p var/static
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo
	@echo "Demo log-ins at http://127.0.0.1:$(PORT)/admin/ (password: $${DEMO_PASSWORD:-demo-pass-2026}):"
	@echo "  admin, treasurer, treasurer_hacthanh, auditor, nominator, committee"
	@echo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite on SQLite (the embedded mode), then again on PostgreSQL with Redis when they
# answer. With CI set, the second pass is not optional.
test: test-sqlite test-postgres

test-sqlite: venv messages
	mkdir -p var/static
	@echo "=== test suite on SQLite (embedded mode) ==="
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: venv messages
	@if $(PY) scripts/services_up.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"; then \
		echo "=== test suite on PostgreSQL with Redis ==="; \
		DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then \
		echo "CI is set but PostgreSQL or Redis does not answer" >&2; exit 1; \
	else \
		echo "=== PostgreSQL or Redis not reachable: PostgreSQL pass skipped (CI would fail) ==="; \
	fi

# The house rules (docs/architecture.md): style and bugs (ruff), the layers (import-linter, contracts
# in pyproject.toml) and no import cycle between modules.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) scripts/import_graph.py

# Every benchmark against its baseline at 10k, 100k and 1M (PostgreSQL; BENCH_SIZES=... for others).
bench: venv messages
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf var/test.sqlite3* .pytest_cache
