#!/usr/bin/env bash
# The full build: setup, notebooks and package export, then the site (book/_build/html + offline bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python scripts/build_content.py
.venv/bin/python scripts/build_site.py
