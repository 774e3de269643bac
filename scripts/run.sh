#!/usr/bin/env bash
# Runs the media server AND the demo applications, both on loopback, until Ctrl-C
# (which stops both):
#   scripts/run.sh [--server-port 8888] [--demo-port 8443] [--log-level INFO]
# Then open http://127.0.0.1:8443/ in a browser on this machine. The media
# server listens on ws://127.0.0.1:8888/kurento; the demos' pages ask for no
# STUN/TURN server, so their WebRTC stays on loopback too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SERVER_PORT=8888
DEMO_PORT=8443
LOG_LEVEL=INFO
while [ "$#" -gt 0 ]; do
  case "$1" in
    --server-port) SERVER_PORT="$2"; shift 2 ;;
    --demo-port) DEMO_PORT="$2"; shift 2 ;;
    --log-level) LOG_LEVEL="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "run: unknown argument: $1" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh >&2
PY="$ROOT/.venv/bin/python"

SERVER_PID=""
DEMO_PID=""
stop_all() {
  trap - INT TERM EXIT
  for pid in $DEMO_PID $SERVER_PID; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $DEMO_PID $SERVER_PID; do
    wait "$pid" 2>/dev/null || true
  done
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

# The magic mirror demo has the media server fetch its hat image from the demo server
# on 127.0.0.1, which the server refuses by default (internal_networks is empty).
KURENTO_INTERNAL_NETWORKS="${KURENTO_INTERNAL_NETWORKS:-127.0.0.1/32}" \
"$PY" -m kurento.server --host 127.0.0.1 --port "$SERVER_PORT" --path kurento \
  --log-level "$LOG_LEVEL" &
SERVER_PID=$!
"$PY" -m examples --host 127.0.0.1 --port "$DEMO_PORT" --log-level "$LOG_LEVEL" \
  --media-server "ws://127.0.0.1:$SERVER_PORT/kurento" &
DEMO_PID=$!
echo "run: open http://127.0.0.1:$DEMO_PORT/ (Ctrl-C stops the media server and the demos)" >&2

# Whichever stops first (or Ctrl-C) stops the other.
wait -n "$SERVER_PID" "$DEMO_PID" || true
