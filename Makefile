# make issue MONTH=YYYY-MM   build and publish one month (sample data: 2018-01, 2018-02)
# make publish MONTH=YYYY-MM build it, its year's bundle and the site with the catalogs
# make preview MONTH=YYYY-MM preview it in a browser, reloading on every save (PORT=8000)
# make test                  lint (ruff, mypy) and the whole test suite
# make lint                  ruff and mypy on the package
# make bench                 digest vs calibre's news recipe on a generated corpus (docs/benchmarks.md)
# make screenshots           the pages of docs/reader.md as a Kindle shows them (docs/screenshots/)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MONTH  ?= $(shell date +%Y-%m)
CONFIG ?= digest.toml
PORT   ?= 8000

.PHONY: issue publish preview test lint bench screenshots deps system-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

deps: $(VENV)/.installed

issue: deps
	@sh scripts/install-system-deps.sh calibre java
	$(BIN)/digest build --config $(CONFIG) --month $(MONTH)

# Build MONTH, rebuild its year's subscription bundle and the site (what CI's publish job runs).
publish: deps
	@sh scripts/install-system-deps.sh calibre java
	$(BIN)/digest build --config $(CONFIG) --month $(MONTH)
	$(BIN)/digest bundle --config $(CONFIG) --year $(firstword $(subst -, ,$(MONTH)))

preview: deps
	$(BIN)/digest preview --config $(CONFIG) --month $(MONTH) --port $(PORT)

system-deps:
	sh scripts/install-system-deps.sh calibre java chromium

lint: $(VENV)/.installed-test
	$(BIN)/ruff check digest
	$(BIN)/mypy

test: $(VENV)/.installed-test system-deps lint
	$(BIN)/pytest

# BENCH_ARGS=--write-docs also rewrites docs/benchmarks.md with the figures of this run.
bench: deps
	@sh scripts/install-system-deps.sh calibre java
	$(BIN)/python -m bench $(BENCH_ARGS)

screenshots: $(VENV)/.installed-test
	@sh scripts/install-system-deps.sh chromium
	$(BIN)/python scripts/screenshots.py docs/screenshots

clean:
	rm -rf dist .pytest_cache
