# make issue MONTH=YYYY-MM   build and publish one month (sample data: 2018-01, 2018-02)
# make test                  the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MONTH  ?= $(shell date +%Y-%m)
CONFIG ?= digest.toml

.PHONY: issue test deps system-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

deps: $(VENV)/.installed

issue: deps
	@sh scripts/install-system-deps.sh calibre
	$(BIN)/digest build --config $(CONFIG) --month $(MONTH)

system-deps:
	sh scripts/install-system-deps.sh calibre java

test: deps system-deps
	$(BIN)/pytest

clean:
	rm -rf dist .pytest_cache
