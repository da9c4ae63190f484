#!/usr/bin/env bash
# The full build: setup, notebooks and package export, then the site (book/_build/html + offline bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/build_content.py ]; then
  .venv/bin/python scripts/build_content.py
fi
.venv/bin/python scripts/build_site.py
