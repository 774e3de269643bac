#!/usr/bin/env bash
# Prepares this machine to run and test kurento-py. Idempotent, and quick when
# everything is already in place.
#
#   scripts/setup.sh [--test] [--bench]
#
# 1. Debian packages: GStreamer 1.22+ with the plugins and introspection data we
#    use, PyGObject, venv, iproute2; Node.js/npm when `node`/`npm` are not on
#    PATH. Only missing packages are installed (apt-get update runs only then).
# 2. .venv made by Debian's /usr/bin/python3 with --system-site-packages (gi and
#    Gst come from Debian, not PyPI); recreated if another interpreter made it.
# 3. `pip install -e '.[test]'` when pyproject.toml changed since the last one.
# 4. `npm install` in examples/ (kurento-utils and kurento-client for the demo pages)
#    and their browser bundles (`npm run bundle`), when examples/package*.json
#    changed or a bundle is missing.
# 5. With --test: `npm install` for the official JS client interop harness in
#    tests/interop/js when its package.json or package-lock.json changed; Debian's
#    chromium and fonts-liberation for the browser tests (tests/browser), which
#    drive it with Python playwright (from the `test` extra; no browser download),
#    and coturn (`turnserver`, run by the TURN browser test inside its namespace).
# 6. With --bench: Debian's janus (the peer bench/compare.py measures us against),
#    janus-tools (janus-pp-rec, to check Janus's recordings), linux-perf and py-spy
#    (its --profile), jemalloc and tcmalloc (bench/experiment.py's allocator
#    experiments) and matplotlib (its plots).
# Works as root on Debian 12 (python 3.11, GStreamer 1.22) and Debian 13
# (python 3.13, GStreamer 1.26).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WITH_TEST=0
WITH_BENCH=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    --bench) WITH_BENCH=1 ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    *) echo "setup: unknown argument: $arg (usage: scripts/setup.sh [--test] [--bench])" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*"; }

SYSTEM_PYTHON=/usr/bin/python3
VENV="$ROOT/.venv"
PIP_STAMP="$VENV/.kurento-pip-stamp"
JS_DIR="$ROOT/tests/interop/js"
NPM_STAMP="$JS_DIR/node_modules/.kurento-npm-stamp"
DEMO_DIR="$ROOT/examples"
DEMO_STAMP="$DEMO_DIR/node_modules/.kurento-py/npm-stamp"
DEMO_BUNDLE="$DEMO_DIR/node_modules/.kurento-py/kurento-utils.js"
DEMO_CLIENT_BUNDLE="$DEMO_DIR/node_modules/.kurento-py/kurento-client.js"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "setup: need root (or sudo) to run: $*" >&2; return 1
  fi
}

# Prints a digest of the given files' contents (missing files count as empty).
digest() {
  local f
  for f in "$@"; do
    printf '%s\n' "$f"
    if [ -f "$f" ]; then cat "$f"; fi
  done | sha256sum | cut -d' ' -f1
}

# --- 1. Debian packages -------------------------------------------------------
apt_packages=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-nice
  gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0
  python3-gst-1.0 python3-gi python3-venv iproute2
  gstreamer1.0-libav gstreamer1.0-plugins-ugly
)
# Node may come from elsewhere (nodesource ships npm inside nodejs); only ask
# Debian for what is not on PATH.
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
# The browser tests drive Debian's Chromium (playwright never downloads one).
# coturn: the TURN test starts its own `turnserver` (never the Debian service).
# ffmpeg: ffprobe checks recordings and plays the RTP peer; the RTSP server library
# serves the PlayerEndpoint's RTSP test clip.
if [ "$WITH_TEST" -eq 1 ]; then
  apt_packages+=(chromium fonts-liberation coturn ffmpeg gir1.2-gst-rtsp-server-1.0)
fi
# janus-tools: janus-pp-rec turns Janus's recordings (.mjr) into files ffprobe can check.
# linux-perf, the allocators: compare.py --profile and bench/experiment.py.
if [ "$WITH_BENCH" -eq 1 ]; then
  apt_packages+=(janus janus-tools linux-perf libjemalloc2 libtcmalloc-minimal4)
fi

missing=()
installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${apt_packages[@]}" 2>/dev/null || true)"
for pkg in "${apt_packages[@]}"; do
  if ! awk -v p="$pkg" '$1 == p && $2 == "ii" { found = 1 } END { exit !found }' <<<"$installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

# --- 2. virtualenv ------------------------------------------------------------
# The venv is usable when it runs, was made from the same base interpreter
# (same realpath and major.minor) and sees Debian's gi.
venv_ok() {
  [ -x "$VENV/bin/python" ] || return 1
  grep -qiE '^include-system-site-packages *= *true' "$VENV/pyvenv.cfg" 2>/dev/null || return 1
  local probe='import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)), *sys.version_info[:2])'
  local want have
  want="$("$SYSTEM_PYTHON" -c "$probe")" || return 1
  have="$("$VENV/bin/python" -c "$probe" 2>/dev/null)" || return 1
  [ "$want" = "$have" ] || return 1
  "$VENV/bin/python" -c 'import gi' 2>/dev/null || return 1
}

if ! venv_ok; then
  if [ -e "$VENV" ]; then
    say "recreating .venv (made by another interpreter or broken)"
    rm -rf "$VENV"
  else
    say "creating .venv"
  fi
  "$SYSTEM_PYTHON" -m venv --system-site-packages "$VENV"
else
  say ".venv ok ($("$VENV/bin/python" -c 'import platform; print(platform.python_version())'))"
fi

# --- 3. the project, editable, with test extras ---------------------------------
want_pip="$(digest pyproject.toml)"
if [ "$(cat "$PIP_STAMP" 2>/dev/null || true)" != "$want_pip" ]; then
  say "pip install -e '.[test]'"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
  printf '%s\n' "$want_pip" >"$PIP_STAMP"
else
  say "python packages up to date"
fi

# --- 4. browser-side packages of the demo pages ----------------------------------
want_demo="$(digest "$DEMO_DIR/package.json" "$DEMO_DIR/package-lock.json")"
if [ ! -f "$DEMO_BUNDLE" ] || [ ! -f "$DEMO_CLIENT_BUNDLE" ] || [ "$(cat "$DEMO_STAMP" 2>/dev/null || true)" != "$want_demo" ]; then
  say "npm install in examples (kurento-utils, kurento-client) and browser bundles"
  # Both ship CommonJS only on npm; `npm run bundle` browserifies them the way
  # their own Gruntfiles do (standalone globals `kurentoUtils`, `kurentoClient`).
  # --ignore-scripts: kurento-client names a post-install script it does not ship.
  (cd "$DEMO_DIR" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null \
    && mkdir -p node_modules/.kurento-py && npm run -s bundle)
  digest "$DEMO_DIR/package.json" "$DEMO_DIR/package-lock.json" >"$DEMO_STAMP"
else
  say "demo node modules up to date"
fi

# --- 5. official JS client for the interop tests --------------------------------
if [ "$WITH_TEST" -eq 1 ]; then
  want_npm="$(digest "$JS_DIR/package.json" "$JS_DIR/package-lock.json")"
  if [ ! -d "$JS_DIR/node_modules/kurento-client" ] \
      || [ "$(cat "$NPM_STAMP" 2>/dev/null || true)" != "$want_npm" ]; then
    say "npm install in tests/interop/js"
    # --ignore-scripts: kurento-client's published package names a post-install
    # script that it does not ship (reference §4.1).
    (cd "$JS_DIR" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    # npm may rewrite the lockfile; stamp what is there after the install.
    digest "$JS_DIR/package.json" "$JS_DIR/package-lock.json" >"$NPM_STAMP"
  else
    say "node modules up to date"
  fi
fi

# --- 6. benchmark extras ---------------------------------------------------------
if [ "$WITH_BENCH" -eq 1 ]; then
  if ! "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
    say "pip install matplotlib (benchmark plots)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check 'matplotlib>=3.6'
  fi
  if [ ! -x "$VENV/bin/py-spy" ]; then
    say "pip install py-spy (compare.py --profile with KPY_BENCH_PROFILER=py-spy)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check py-spy
  fi
fi

say "done"
