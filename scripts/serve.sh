#!/usr/bin/env bash
# Build everything, then serve the site offline on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C to stop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
port="${PORT:-8000}"
echo "serving book/_build/html on http://127.0.0.1:$port/"
exec .venv/bin/python -m http.server "$port" --bind 127.0.0.1 --directory book/_build/html
