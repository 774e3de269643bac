#!/usr/bin/env bash
# Runs the Kurento-compatible media server in the foreground.
#   scripts/run-server.sh [--host H] [--port P] [--path kurento] [--log-level L] [--config FILE]
# Defaults: ws://127.0.0.1:8888/kurento. Setup progress goes to stderr so that
# stdout is the server's own.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh >&2
exec "$ROOT/.venv/bin/python" -m kurento.server "$@"
