# Everything installs into .venv from pinned versions; nothing relies on the machine's own packages.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The AWS SDKs AWS's runtimes ship (functions/sandbox/sdks.py), pinned in SDK_PINS, installed read-only in SDK.
SDK := $(VENV)/lambda-sdk
SDK_PINS := src/overcast/functions/runtime/sdk
SDK_STAMP := $(VENV)/.sdk-installed
PIP_TARGET := $(PY) -m pip install -q --disable-pip-version-check --no-deps --only-binary=:all: --target

.PHONY: install demo test lint bench clean

install: $(STAMP) $(SDK_STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Overcast needs Python 3.11+"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Node's part needs npm (the host's, or one in .venv/bin); without it the Python SDKs still install and
# nodejs functions run without the AWS SDK for JavaScript, as this says.
$(SDK_STAMP): $(STAMP) $(SDK_PINS)/python.txt $(SDK_PINS)/python3.9.txt $(SDK_PINS)/nodejs/package.json $(SDK_PINS)/nodejs/package-lock.json
	test ! -d $(SDK) || chmod -R u+w $(SDK)
	rm -rf $(SDK)
	$(PIP_TARGET) $(SDK)/python -r $(SDK_PINS)/python.txt
	$(PIP_TARGET) $(SDK)/python3.9 --python-version 3.9 -r $(SDK_PINS)/python3.9.txt
	$(PY) -m overcast.functions.sandbox.sdks $(SDK)
	@if PATH="$(VENV)/bin:$$PATH" command -v npm >/dev/null 2>&1; then \
		mkdir -p $(SDK)/nodejs && cp $(SDK_PINS)/nodejs/package.json $(SDK_PINS)/nodejs/package-lock.json $(SDK)/nodejs/ && \
		PATH="$(VENV)/bin:$$PATH" npm ci --prefix $(SDK)/nodejs --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "make install: no npm on this host, so nodejs functions get no AWS SDK for JavaScript v3 (install npm and run make install again)"; fi
	chmod -R a-w $(SDK)
	touch $(SDK_STAMP)

demo: install
	$(PY) examples/demo.py

lint: install
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

bench: install
	$(PY) -m bench

clean:
	test ! -d $(SDK) || chmod -R u+w $(SDK)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
