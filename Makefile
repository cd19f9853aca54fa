# make issue MONTH=YYYY-MM   build and publish one month (sample data: 2018-01, 2018-02);
#                            without MONTH, the latest month that has an issues/YYYY-MM.toml
# make publish MONTH=YYYY-MM build it, its year's bundle and the site with the catalogs
# make preview MONTH=YYYY-MM preview it in a browser, reloading on every save (PORT=8000)
# make test                  lint (ruff, mypy) and the whole test suite
# make lint                  ruff and mypy on the package
# make ace                   Ace by DAISY, the accessibility checker (tools/ace, pinned by its package-lock.json)
# make test-fast             the tests marked not slow: no EPUBCheck, calibre, Chromium or full builds (minutes: README)
# make bench                 digest vs calibre's news recipe on a generated corpus, preview edits (docs/benchmarks.md)
# make lock                  re-resolve requirements.lock and requirements-test.lock after a change to pyproject.toml
# make screenshots           the pages of docs/reader.md as a Kindle shows them (docs/screenshots/)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Without MONTH: the latest issues/YYYY-MM.toml (the month being edited), not the calendar's.
MONTH  ?= $(lastword $(sort $(patsubst issues/%.toml,%,$(wildcard issues/[0-9][0-9][0-9][0-9]-[0-9][0-9].toml))))
CONFIG ?= digest.toml
PORT   ?= 8000
TEST_WORKERS ?= auto
LOCK      := requirements.lock
TEST_LOCK := requirements-test.lock
PIP_LOCK  := requirements-pip.lock

.PHONY: issue publish preview test test-fast lint bench screenshots deps system-deps lock clean month ace

# Every Python package, setuptools included, comes from a lock file with hashes: pip
# refuses a file whose hash differs, so a compromised or re-uploaded release cannot slip in.
$(VENV)/.installed: pyproject.toml $(LOCK) $(PIP_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(PIP_LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(TEST_LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(TEST_LOCK)
	touch $@

# The locks are resolved from the package index, so the packages they share get the same versions.
lock: $(VENV)/.installed
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --build-deps-for editable \
		--strip-extras --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml
	$(BIN)/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --build-deps-for editable \
		--strip-extras --no-emit-index-url --no-emit-find-links --extra test \
		--output-file $(TEST_LOCK) pyproject.toml
	echo pip | $(BIN)/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --output-file $(PIP_LOCK) -

deps: $(VENV)/.installed

month:
	$(if $(MONTH),,$(error MONTH is not set and issues/ has no YYYY-MM.toml: make $(MAKECMDGOALS) MONTH=YYYY-MM))
	@echo "MONTH=$(MONTH)"

issue: month deps
	@sh scripts/install-system-deps.sh calibre java
	$(BIN)/digest build --config $(CONFIG) --month $(MONTH)

# Build MONTH, rebuild its year's subscription bundle and the site (what CI's publish job runs).
publish: month deps
	@sh scripts/install-system-deps.sh calibre java
	$(BIN)/digest build --config $(CONFIG) --month $(MONTH)
	$(BIN)/digest bundle --config $(CONFIG) --year $(firstword $(subst -, ,$(MONTH)))

preview: month deps
	$(BIN)/digest preview --config $(CONFIG) --month $(MONTH) --port $(PORT)

system-deps:
	sh scripts/install-system-deps.sh calibre java chromium node

# Exactly the versions of the lock file; --ignore-scripts: Ace's Electron flavour would download a
# browser at install time, and Ace runs here with Debian's chromium (PUPPETEER_EXECUTABLE_PATH).
ACE := tools/ace/node_modules/.bin/ace-puppeteer
$(ACE): tools/ace/package.json tools/ace/package-lock.json
	cd tools/ace && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

ace: system-deps $(ACE)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check digest
	$(BIN)/mypy

# One worker per core (pytest-xdist), each taking whole test files: a file's fixtures (a sample
# build, a benchmark corpus) are made once. TEST_WORKERS=0 runs the suite in one process.
test: $(VENV)/.installed-test system-deps $(ACE) lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Leaves out the tests marked slow (pyproject.toml): EPUBCheck, calibre, Chromium, whole builds.
test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow"

# BENCH_ARGS=--write-docs also rewrites docs/benchmarks.md with the figures of this run.
# Chromium and playwright (a test dependency) time the preview's edits (bench.preview).
bench: $(VENV)/.installed-test
	@sh scripts/install-system-deps.sh calibre java chromium
	$(BIN)/python -m bench $(BENCH_ARGS)

screenshots: $(VENV)/.installed-test
	@sh scripts/install-system-deps.sh chromium
	$(BIN)/python scripts/screenshots.py docs/screenshots

clean:
	rm -rf dist .pytest_cache
