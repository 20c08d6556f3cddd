# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: run serve test lint browser unit fuzz bench docs screenshot clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# The main job on the embedded test IdP: check, simulate, bundle to out/, verify.
run: $(STAMP)
	$(BIN)/python -m oidc_validator.demo

# Just the test IdP, on http://127.0.0.1:8000, with the test-only demo credentials.
serve: $(STAMP)
	$(BIN)/oidc-idp serve --host 127.0.0.1 --port 8000

test: lint browser unit

# The login page is tested in a real headless Chromium: Debian's chromium and chromedriver.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(echo "installing Chromium and ChromeDriver for the browser test (once; about a minute)" && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)

lint: $(STAMP)
	$(BIN)/ruff check idp validator tests fixtures
	$(BIN)/ruff format --check idp validator tests fixtures
	$(BIN)/mypy -p oidc_idp -p oidc_validator
	$(BIN)/lint-imports --no-cache

unit: $(STAMP)
	$(PYTEST) -q -n auto --dist loadfile

# Long property-based runs (hypothesis' "fuzz" profile: 5000 examples per property).
fuzz: $(STAMP)
	# 5,000 examples of one property can take minutes on a busy machine: a per-test limit of 15 minutes, not the suite's 2.
	HYPOTHESIS_PROFILE=fuzz $(PYTEST) -q --timeout 900 tests/hardening tests/validator -k "never or any_ or robust or properties"

# Figures measured in one run (wrk from Debian's packages drives the load).
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/run_bench.py

docs: $(STAMP)
	$(BIN)/oidc-validator catalogue > docs/checks.md

# docs/report-screenshot.png: check --format html against the test IdP (scenarios on), in headless Chromium.
screenshot: $(STAMP) browser
	PYTHONPATH=tests/support $(BIN)/python tests/tools/report_screenshot.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
