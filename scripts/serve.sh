#!/usr/bin/env bash
# Serves VS Code (code-server) on http://127.0.0.1:$MV_PORT/ with FOLDER open and this checkout's
# extension installed: the bare URL opens FOLDER with Model Versions. `npm start` runs it on the demo
# repository (scripts/start.sh, after building dist/ and making the demo).
#
# Usage: bash scripts/serve.sh FOLDER
# Env:   MV_PORT (default 8080; loopback only)
#
# - The extension is installed by a link from a fresh extensions folder to this checkout, so a rebuild
#   (npm run build) and Developer: Reload Window pick up changes.
# - Workspace Trust is off (--disable-workspace-trust): the folder is meant to be one you made, like the
#   demo; do not serve a folder you do not trust this way (its tasks, settings and git hooks could run code).
# - The folder's README opens at start (workbench.startupEditor: readme).
# - Its state (profile, extensions folder, server log) lives in a temp folder that is removed, with
#   code-server's whole process group, on exit, Ctrl+C (SIGINT), SIGTERM or SIGHUP.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: bash scripts/serve.sh FOLDER" >&2
  exit 2
fi
if [ ! -d "$1" ]; then
  echo "serve: '$1' is not a folder" >&2
  exit 2
fi
FOLDER=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${MV_PORT:-8080}
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  echo "serve: MV_PORT='$PORT' is not a TCP port (1-65535)" >&2
  exit 2
fi
CS="${CODE_SERVER_DIR:-$ROOT/.code-server}/node_modules/.bin/code-server"
if [ ! -x "$CS" ]; then
  echo "serve: code-server is not installed (no $CS): run bash scripts/install-code-server.sh" >&2
  exit 1
fi
if [ ! -f dist/extension.js ]; then
  echo "serve: dist/extension.js is missing: run npm run build" >&2
  exit 1
fi
if command -v curl >/dev/null 2>&1; then
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
    echo "serve: something already answers on http://127.0.0.1:$PORT/ (another npm start?): stop it, or set MV_PORT" >&2
    exit 1
  fi
else
  echo "serve: curl is missing (apt-get install curl)" >&2
  exit 1
fi

STATE=$(mktemp -d "${TMPDIR:-/tmp}/model-versions-start.XXXXXX")
PID=
# alive PID: it runs (a process that has exited but that we have not reaped yet is a zombie, 'Z')
alive() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}
# group_alive PGID: a process of that process group runs
group_alive() {
  local f s state ppid pgrp
  for f in /proc/[0-9]*/stat; do
    s=$(cat "$f" 2>/dev/null) || continue
    read -r state ppid pgrp _ <<<"${s##*) }"
    [ "$pgrp" = "$1" ] && [ "$state" != Z ] && return 0
  done
  return 1
}
cleanup() {
  trap - EXIT INT TERM HUP
  if [ -n "$PID" ]; then
    kill -TERM -- "-$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$PID" || break; sleep 0.1; done
    kill -KILL -- "-$PID" 2>/dev/null || true # what is left of the group (extension hosts, watchers)
    for _ in $(seq 1 50); do group_alive "$PID" || break; sleep 0.1; done
  fi
  rm -rf "$STATE"
}
trap cleanup EXIT
trap 'echo; echo "Stopping code-server…"; cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

mkdir -p "$STATE/ud/User" "$STATE/exts"
cat > "$STATE/ud/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "readme", "telemetry.telemetryLevel": "off", "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false, "extensions.ignoreRecommendations": true, "update.mode": "none",
  "workbench.tips.enabled": false, "git.openRepositoryInParentFolders": "never" }
JSON
EXT_DIR=$(node -e 'const p = require(process.argv[1]); console.log(`${p.publisher}.${p.name}-${p.version}`)' "$ROOT/package.json")
ln -s "$ROOT" "$STATE/exts/$EXT_DIR"

# setsid: code-server and everything it starts form one process group, which cleanup() stops.
# The folder argument is what the bare URL opens (--ignore-last-opened: always that one).
EXTENSIONS_GALLERY='{"serviceUrl":""}' XDG_DATA_HOME="$STATE/xdg-data" setsid "$CS" --auth none \
  --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override --ignore-last-opened --user-data-dir "$STATE/ud" \
  --extensions-dir "$STATE/exts" --config "$STATE/config.yaml" "$FOLDER" >"$STATE/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  if ! alive "$PID"; then
    echo "serve: code-server failed to start; its log:" >&2
    tail -20 "$STATE/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
  echo "serve: code-server did not answer http://127.0.0.1:$PORT/healthz within 60 s; its log:" >&2
  tail -20 "$STATE/server.log" >&2
  exit 1
fi
echo
echo "Model Versions is running in VS Code (code-server) at:"
echo "  http://127.0.0.1:$PORT/"
echo "with $FOLDER open (Workspace Trust off: a folder you made). Press Ctrl+C to stop."
echo "(state, removed on exit: $STATE)"
wait "$PID" || true
echo "serve: code-server exited; its log:" >&2
tail -20 "$STATE/server.log" >&2
exit 1
