# Jaring — the two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
JARING := $(BIN)/jaring
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6.1 needs Python >= 3.12. Take python3.12 from PATH or from pyenv (where it may be
# installed but not active), then any newer Python; say clearly when there is none.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 \
	/usr/local/bin/python3.12 python3.13 python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; \
	done)

LOCALE_DIR := src/jaring/locale
PO_FILES := $(wildcard $(LOCALE_DIR)/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

# Test settings: a throwaway key and plain static storage (no collectstatic needed).
TEST_ENV := JARING_SECRET_KEY=insecure-test-key-not-for-production JARING_STATIC_MANIFEST=0 \
	JARING_NIK_ENCRYPTION_KEY=dGVzdC1vbmx5LW5pay1lbmNyeXB0aW9uLWtleS0zMmI= \
	JARING_NIK_INDEX_KEY=dGVzdC1vbmx5LW5pay1ibGluZC1pbmRleC1rZXktMzI=

.PHONY: demo test check audit bench messages venv lock clean stack-test restore-drill ci-ops

venv: $(VENV)/.installed

# Every dependency comes from a lock file with hashes (requirements-test.lock = the app's
# requirements.lock plus the test tools), so the venv is reproducible and an upgrade is a
# reviewed diff of the lock (`make lock`). Jaring itself goes in without dependencies.
$(VENV)/.installed: pyproject.toml requirements.lock requirements-test.lock
	@if [ -z "$(PYTHON)" ]; then \
		echo "Jaring needs Python 3.12 or newer (Django 6.1). Install python3.12 (e.g. 'pyenv install 3.12') and retry."; \
		exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Re-resolve the lock files from pyproject.toml (keeps existing pins unless UPGRADE=1).
# Review the diff before committing: it is the list of code we start trusting.
PIP_COMPILE = $(VENV)/lock-tools/bin/pip-compile --quiet --strip-extras --generate-hashes \
	--allow-unsafe --no-emit-index-url --no-emit-find-links --build-deps-for editable \
	$(if $(UPGRADE),--upgrade)
lock:
	test -x $(VENV)/lock-tools/bin/pip-compile || { $(PYTHON) -m venv $(VENV)/lock-tools && \
		$(VENV)/lock-tools/bin/pip install --quiet 'pip-tools>=7.5'; }
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test -c requirements.lock -o requirements-test.lock pyproject.toml

messages: $(MO_FILES)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# The demo's money and claims are 2025's: its dashboards count "protected now" on the seed's day.
DEMO_ENV := JARING_DEBUG=1 JARING_REPORT_DATE=2025-09-22

demo: venv messages
	@mkdir -p var
	$(DEMO_ENV) $(JARING) migrate --noinput -v 0
	$(DEMO_ENV) $(JARING) load_regions
	$(DEMO_ENV) $(JARING) setup_demo
	@echo "Jaring is at http://$(HOST):$(PORT)/  (Ctrl-C stops it and the background worker)"
	@$(DEMO_ENV) $(JARING) worker --interval 1 > var/worker.log 2>&1 & \
	worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(JARING) runserver $(HOST):$(PORT)

check: venv
	$(BIN)/ruff check src tests bench deploy
	@# bandit logs a warning for every reviewed "nosec"; only findings are worth printing.
	@set -o pipefail; $(BIN)/bandit -q -r src -x '*/migrations/*' -s B101 2>&1 \
		| { grep -v "nosec encountered" || true; }

# Known vulnerabilities in the pinned versions (pip-audit). Fails on a finding; when the
# advisory service cannot be reached it says so plainly and does not fail.
audit: venv
	@$(BIN)/python deploy/ci/audit.py requirements.lock requirements-test.lock

test: venv messages check
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv messages
	@# BENCH=import_100k limits the run to named benchmarks
	$(TEST_ENV) $(BIN)/python -m bench.run $(BENCH)

# The production path, for real: nginx (Debian) → gunicorn → PostgreSQL, the worker, a login
# over HTTPS, an upload, the dashboard (deploy/ci/stack-test.sh); then a backup restored into a
# fresh database and checked (deploy/ci/restore-drill.sh). Needs root and PostgreSQL on
# 127.0.0.1:5432; installs nginx if missing. CI runs both (`make ci-ops`).
stack-test: venv messages
	deploy/ci/stack-test.sh

restore-drill: venv messages
	deploy/ci/stack-test.sh --with-restore-drill

ci-ops: venv messages
	deploy/ci/stack-test.sh --with-restore-drill

clean:
	rm -rf $(VENV) var $(MO_FILES)
