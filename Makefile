# The shop's everyday commands. Each one creates or updates .venv first, so a fresh clone needs
# nothing but python3 (3.11+), and for `make test` a running PostgreSQL and Redis.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
SCORECARD_ARGS ?=
SCENARIO ?=
# make fuzz: the seed (a new one when empty; the run prints it, to replay) and row 3's fuzzing time.
SEED ?=
SECONDS ?= 600
FUZZ_TESTS ?= tests/security/test_api_schema_fuzzing.py tests/security/test_money_invariants.py \
	tests/security/test_money_and_stock_tampering.py tests/security/test_cart_tampering.py \
	tests/security/test_account_tampering.py tests/security/test_sign_in_and_password_tampering.py \
	tests/accounts/test_api.py::test_every_address_the_api_accepts_is_a_uri_as_the_schema_format_says

# Test defaults: the local PostgreSQL and Redis. Override with the environment.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shop
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: help run test scorecard fuzz deps-report bench bench-ab worker lint format e2e clean lighthouse

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/bin/activate:
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

run: $(VENV)/.runtime-installed  ## Install, migrate, load demo data and serve the shop on http://127.0.0.1:8000
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev-installed  ## Run the whole suite against PostgreSQL and Redis
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) scripts/check_services.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS)

scorecard: $(VENV)/.dev-installed  ## The reliability and security scorecard (issue 5), fault injection included
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) scripts/check_services.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m scorecard $(SCORECARD_ARGS)

fuzz: $(VENV)/.dev-installed  ## Explore new cases: row 3 and the hypothesis tests on another seed (SEED=, SECONDS=); not CI
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) scripts/check_services.py
	@seed="$(SEED)"; seed=$${seed:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "make fuzz SEED=$$seed SECONDS=$(SECONDS)   (this SEED draws the same cases again)"; \
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		DJANGO_SETTINGS_MODULE=config.settings.test HYPOTHESIS_PROFILE=explore \
		SCORECARD_FUZZ_SEED=$$seed SCORECARD_FUZZ_SECONDS=$(SECONDS) \
		$(VENV)/bin/pytest $(FUZZ_TESTS) -q --hypothesis-seed=$$seed $(PYTEST_ARGS)

deps-report: $(VENV)/.dev-installed  ## Report stale and vulnerable pins (asks the package index and OSV; never fails)
	$(PY) scripts/deps_report.py

$(VENV)/.bench-installed: requirements.txt requirements-bench.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed  ## The benchmark suite (~15 min; SCENARIO=coupon runs one); see README "Performance"
	$(PY) bench/run.py $(if $(SCENARIO),--scenario $(SCENARIO))

bench-ab: $(VENV)/.bench-installed  ## The product rows side by side with another checkout (BASE=/tmp/before; ~8 min)
	$(PY) bench/ab.py --base $(BASE)

lighthouse: $(VENV)/.runtime-installed  ## Lighthouse scores of four pages, mobile and desktop (needs npm and chromium)
	scripts/lighthouse.sh

worker: $(VENV)/.runtime-installed  ## Run a Celery worker with the beat scheduler
	$(VENV)/bin/celery -A config worker --beat --loglevel=info \
		--scheduler django_celery_beat.schedulers:DatabaseScheduler

lint: $(VENV)/.dev-installed  ## ruff, mypy and the migrations check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.dev-installed  ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:  ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
