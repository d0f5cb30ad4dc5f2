# The two commands a user needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.setup-stamp

.PHONY: setup run index test test-fast check lint browser servers clean

setup: $(STAMP)

# First run: pip downloads roughly 1 GB of wheels (torch CPU is the largest, ~750 MB installed;
# then transformers, OpenCV and ONNX Runtime for OCR, llvmlite, Playwright, chromadb, gradio …)
# into a ~3 GB .venv; 5–10 minutes on an ordinary line, seconds afterwards. pip's own progress
# bars show each download.
$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "Creating the virtual environment $(VENV) …"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the Python packages into $(VENV): torch (CPU, the largest), transformers, the"
	@echo "OCR and embedding models, chromadb, gradio … — roughly 1 GB to download and ~3 GB on disk"
	@echo "the first time (typically 5–10 minutes); later runs only check what is installed."
	$(PY) -m pip install --disable-pip-version-check --progress-bar on -e '.[dev]'
	@touch $(STAMP)
	@echo "Environment ready: $(VENV) ($$(du -sh $(VENV) 2>/dev/null | cut -f1))."

# Build or refresh the index of the bundled knowledge pack (incremental: unchanged files embed nothing).
index: setup
	$(PY) -m assistant ingest corpus --prune

run: setup
	$(PY) app.py

test: setup browser servers
	$(PY) -m pytest

# Everything but the slow and browser tests, for a quick loop while editing.
test-fast: setup
	$(PY) -m pytest -m "not slow and not browser"

check: setup
	$(VENV)/bin/ruff check assistant tests app.py
	$(VENV)/bin/ruff format --check assistant tests app.py
	$(VENV)/bin/mypy

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }
	@# A CJK font for Chinese text in screenshots and the assessment radar chart (matplotlib).
	@# axe-core (npm) for the accessibility scan of the browser tests, pinned by tests/web/package-lock.json.
	@test -e tests/web/node_modules/axe-core/axe.min.js || { \
	  echo "Installing axe-core into tests/web/node_modules (npm ci)…"; \
	  cd tests/web && npm ci --no-audit --no-fund --loglevel=error; }
	@test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
	  echo "Installing Debian's fonts-wqy-microhei (Chinese glyphs)…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq fonts-wqy-microhei >/dev/null; fi; }

# Debian's PostgreSQL (the shared manifest) and nginx (the load balancer) for the deployment tests,
# which start their own throw-away servers on loopback; nothing is enabled or left running.
servers:
	@{ command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; } && \
	  { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  echo "Installing Debian's postgresql and nginx-light for the deployment tests…"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql nginx-light >/dev/null \
	  || echo "Could not install postgresql/nginx-light: the deployment tests will be skipped."; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
