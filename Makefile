# leadflow — `make run` serves the app, `make test` runs the suite. Nothing else to install.
# Python 3.11, 3.12 or 3.13; another one: `PYTHON=python3.13 make test` (the venv follows).
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(PYTHON_VERSION)

.PHONY: run test test-postgres lint format messages bench clean help

help:
	@echo "make run      migrate, seed a demo company, serve http://127.0.0.1:8000 with a worker"
	@echo "make test     the whole test suite on SQLite (DATABASE_URL=postgres://… for PostgreSQL)"
	@echo "make lint     ruff format --check, ruff check, import contracts, migrations check"
	@echo "make format   ruff format + ruff check --fix"

$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13), "leadflow needs Python 3.11, 3.12 or 3.13"'
	@# a venv made by another Python is made again
	test "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$(PYTHON_VERSION)" || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/leadflow serve

test: $(INSTALLED)
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy leadflow
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: $(INSTALLED)
	cd leadflow && ../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete
	cd leadflow && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) var/test.sqlite3*
