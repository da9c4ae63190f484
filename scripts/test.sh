#!/usr/bin/env bash
# Build everything, then run the whole test suite, browser test included. Arguments go to pytest; paths
# among them (tests/browser, tests/core/test_tensor.py::test_x) run only those.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# TINYTORCH_PARITY=0: torch was not installed, so the PyTorch parity suite is left out (it fails without torch).
parity=()
[ "${TINYTORCH_PARITY:-1}" != 0 ] || parity=(--ignore=tests/parity)
# Paths among the arguments narrow the run (bash scripts/test.sh tests/browser); without any, all of tests/.
targets=(tests)
for arg in "$@"; do
  case "$arg" in -*) ;; *) if [ -e "${arg%%::*}" ]; then targets=(); fi ;; esac
done
exec .venv/bin/python -m pytest "${targets[@]}" "${parity[@]}" "$@"
