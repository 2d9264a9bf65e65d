# make run: the demo on http://127.0.0.1:8000 (SQLite unless DATABASE_URL says otherwise)
# make test: the whole suite against PostgreSQL, as the runtime role, browser tests included
# make lint: ruff (lint and format), the import layers (import-linter) and types (mypy)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# The suite runs as the runtime role, which owns nothing, on databases the owner role creates.
TEST_DATABASE_URL ?= postgres://aidportal_app@127.0.0.1:5432/aidportal
TEST_MIGRATION_DATABASE_URL ?= postgres://aidportal_owner@127.0.0.1:5432/aidportal
# A superuser's connection, used only to create those two roles (empty: the roles exist already).
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# pytest-xdist workers, each with its own test database; the concurrency tests open up to 24
# connections each, so keep workers × 30 under PostgreSQL's max_connections (100 by default).
TEST_WORKERS ?= 2
# The suite's Redis: worker N uses this database number + N (tests empty it), never REDIS_URL's.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint install browser messages prod-smoke

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# On PostgreSQL the owner role (MIGRATION_DATABASE_URL) migrates and the runtime role
# (DATABASE_URL) loads the demo and serves.
run: install
	@case "$${DATABASE_URL:-sqlite}" in \
	postgres*) \
		if [ -z "$$MIGRATION_DATABASE_URL" ]; then \
			echo "DATABASE_URL is PostgreSQL: set MIGRATION_DATABASE_URL to the same database as the owner role (see README)."; \
			exit 2; \
		fi; \
		if [ -n "$(PG_ADMIN_URL)" ]; then \
			$(PY) manage.py create_database_roles --admin-url "$(PG_ADMIN_URL)" || exit; \
		fi; \
		$(PY) manage.py migrate --noinput --database owner ;; \
	*) $(PY) manage.py migrate --noinput ;; \
	esac
	$(PY) manage.py load_demo
	@echo ""
	@echo "  AidPortal is starting on http://127.0.0.1:8000/ (English: http://127.0.0.1:8000/en/)"
	@echo "  To sign into http://127.0.0.1:8000/admin/, create a login first, in another terminal:"
	@echo "      $(PY) manage.py createsuperuser"
	@echo "  The first sign-in of an administrator sets up a second factor: scan the QR code with an"
	@echo "  authenticator app (Google or Microsoft Authenticator, FreeOTP, Aegis, 1Password...), type"
	@echo "  its six-digit code and keep the recovery codes shown. Lost phone:"
	@echo "      $(PY) manage.py reset_second_factor <username>"
	@echo ""
	@# On PostgreSQL a Celery worker (webhooks, large imports) and celery beat (the nightly ledger
	@# check, the daily purge of idempotency keys) run beside the server, stopped with it; on
	@# SQLite, without a broker, tasks run eagerly in the server itself and nothing is scheduled.
	@case "$${DATABASE_URL:-sqlite}" in \
	postgres*) \
		export CELERY_BROKER_URL="$${CELERY_BROKER_URL:-$${REDIS_URL:-redis://127.0.0.1:6379/0}}"; \
		echo "  Background work: a Celery worker and beat run beside the server (broker $$CELERY_BROKER_URL)."; \
		$(VENV)/bin/celery -A aidportal worker --loglevel=warning & worker=$$!; \
		$(VENV)/bin/celery -A aidportal beat --loglevel=warning & beat=$$!; \
		trap 'kill $$worker $$beat 2>/dev/null' EXIT INT TERM; \
		DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000 ;; \
	*) DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000 ;; \
	esac

# The browser tests drive Debian's Chromium, and measure Chinese text drawn in Noto CJK;
# install them once if they are missing.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
		dpkg -s fonts-noto-cjk >/dev/null 2>&1 || \
		( $(SUDO) apt-get update -qq && \
		  $(SUDO) apt-get install -y -qq chromium chromium-driver fonts-noto-cjk )

test: export DATABASE_URL := $(or $(DATABASE_URL),$(TEST_DATABASE_URL))
test: export MIGRATION_DATABASE_URL := $(or $(MIGRATION_DATABASE_URL),$(TEST_MIGRATION_DATABASE_URL))
test: install browser
	@if [ -n "$(PG_ADMIN_URL)" ]; then \
		$(PY) manage.py create_database_roles --owner-can-create-databases --admin-url "$(PG_ADMIN_URL)"; \
	fi
	TEST_REDIS_URL="$(TEST_REDIS_URL)" $(PY) -m pytest -n $(TEST_WORKERS)

# Style, layers and types: the same checks as CI and the pre-commit hooks (.pre-commit-config.yaml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# Rebuild the Chinese translations after changing translatable text (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=tests --ignore=static
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

# The reference production stack on loopback (nginx with TLS, two gunicorns, Celery worker and
# beat, a PostgreSQL primary of its own and its streaming replica, Redis), load-tested through
# nginx over HTTPS and stopped again: tools/prod_smoke.sh. Run as root.
PROD_SMOKE_PACKAGES := nginx libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static \
	openssl redis-server gettext-base curl
prod-smoke: install
	@missing=$$(for p in $(PROD_SMOKE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	tools/prod_smoke.sh
