#!/usr/bin/env bash
# Lints, type-checks and runs the whole test suite; exits non-zero if any of
# them fails. Extra arguments go to pytest:
#   scripts/test.sh [PYTEST_ARGS...]      e.g. scripts/test.sh -m 'not interop' -x
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --test || { echo "test.sh: setup failed" >&2; exit 1; }
PY="$ROOT/.venv/bin/python"

failed=()

echo "== ruff check ."
"$PY" -m ruff check . || failed+=(ruff)

echo "== mypy"
"$PY" -m mypy || failed+=(mypy)

# pytest runs last and nothing is printed after it on success, so its summary
# line closes the output.
echo "== pytest"
"$PY" -m pytest -q "$@"
rc=$?
case "$rc" in
  0) ;;
  5) echo "test.sh: pytest collected no tests" >&2; failed+=(pytest) ;;
  *) failed+=(pytest) ;;
esac

if [ "${#failed[@]}" -gt 0 ]; then
  echo "test.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
