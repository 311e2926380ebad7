# The two commands: `make run` (serve the demo site) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_WORKERS ?= 2  # pytest-xdist processes for make test (one per core here)
export PORT  # SITE_URL (links printed and emailed) follows it

.PHONY: run test test-fast lint install

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"  # not -e: the project runs from this folder
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	@if grep -qs '^ *DJANGO_ENV *= *"\?production' .env; then \
	  echo ".env sets DJANGO_ENV=production (.env.example is a production template)." >&2; \
	  echo "make run needs no .env: remove or rename it to run the demo site." >&2; exit 1; fi
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py demo_admin
	$(PY) manage.py run_worker & WORKER=$$!; trap 'kill $$WORKER' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The tests that start gunicorn and nginx on Redis (marked proxy) run after the rest, in
# one process: beside a second pytest process they measured its load, not the site.
test: $(VENV)/.installed
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not proxy" $(PYTEST_ARGS)
	$(PY) -m pytest -m proxy $(PYTEST_ARGS) || [ $$? -eq 5 ]  # 5: none chosen by PYTEST_ARGS

test-fast: $(VENV)/.installed
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not e2e" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates tests/templates --lint
