#!/usr/bin/env bash
# Build everything, then run the whole test suite, browser test included. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# TINYTORCH_PARITY=0: torch was not installed, so the PyTorch parity suite is left out (it fails without torch).
parity=()
[ "${TINYTORCH_PARITY:-1}" != 0 ] || parity=(--ignore=tests/parity)
exec .venv/bin/python -m pytest tests "${parity[@]}" "$@"
