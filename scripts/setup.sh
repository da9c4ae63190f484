#!/usr/bin/env bash
# Prepare a fresh Debian machine to build and test the site. Idempotent, and quick when all is in place:
# each step is skipped while its stamp (a hash of its inputs) still matches.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Python: .venv with the pinned tools and tinytorch in editable mode.
python_inputs=$(cat requirements/dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if ! [ -x .venv/bin/python ] || ! stamp_matches .venv/.setup-stamp "$python_inputs"; then
  echo "setup: installing Python requirements into .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q -r requirements/dev.txt -e .
  echo "$python_inputs" > .venv/.setup-stamp
fi

# PyTorch (CPU), a test-only dependency: the parity suite (tests/parity) runs every case on torch too.
# TINYTORCH_PARITY=0 skips it (scripts/test.sh then leaves the suite out). Without a local CPU wheel, set
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu, or pip fetches the much larger CUDA build.
parity_inputs=$(sha256sum requirements/parity.txt | cut -d' ' -f1)
if [ "${TINYTORCH_PARITY:-1}" != 0 ] && ! stamp_matches .venv/.parity-stamp "$parity_inputs"; then
  echo "setup: installing torch (CPU) for the parity tests into .venv (TINYTORCH_PARITY=0 skips this)"
  .venv/bin/pip install -q -r requirements/parity.txt
  echo "$parity_inputs" > .venv/.parity-stamp
fi

# npm: the Pyodide core runtime and MathJax, exactly as in package-lock.json.
npm_inputs=$(sha256sum package-lock.json | cut -d' ' -f1)
if ! stamp_matches node_modules/.setup-stamp "$npm_inputs"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  echo "$npm_inputs" > node_modules/.setup-stamp
fi

# Browser for the end-to-end test: Debian's headless shell (the full chromium calls Google hosts itself),
# and an emoji font so the ✅ lines render in its screenshots.
# The browser is checked by path: CI (Ubuntu, no such package) links a headless shell there instead.
missing=""
[ -x /usr/lib/chromium/chromium-headless-shell ] || missing="chromium-headless-shell"
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || missing="$missing fonts-noto-color-emoji"
if [ -n "$missing" ]; then
  echo "setup: installing" $missing
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends $missing
fi
