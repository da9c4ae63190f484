#!/usr/bin/env bash
# Build everything, then run the whole test suite, browser test included. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec .venv/bin/python -m pytest tests "$@"
