#!/usr/bin/env bash
# `npm start`: build the extension and open it in a real VS Code on the demo repository.
# Installs what it needs first (apt packages on Debian, npm packages, code-server) and skips what is there.
# Usage: npm start [-- --recreate]   (--recreate: make the demo repository afresh)
# Env: MV_PORT (default 8080), MV_SAMPLE (demo folder, default ./demo), MV_RECREATE=1 (as --recreate),
#      MV_USE_CODE_SERVER=1 (code-server even when `code` is on PATH).
set -euo pipefail
RECREATE=${MV_RECREATE:+--recreate}
for arg in "$@"; do
  case "$arg" in
    --recreate) RECREATE=--recreate ;;
    *) echo "npm start: unknown option '$arg' (known: --recreate)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
ROOT=$PWD
export ONNXRUNTIME_NODE_INSTALL=skip

# git + git-lfs (the demo repository), curl (the readiness check below) and code-server's build
# prerequisites, in one apt run (ensure-apt waits for another apt, or says what to run as root).
MV_APT_PACKAGES="git git-lfs curl ripgrep libkrb5-dev pkg-config g++ make python3" bash scripts/ensure-apt.sh
[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund
bash scripts/install-code-server.sh
npm run build --silent

SAMPLE=${MV_SAMPLE:-$ROOT/demo}
# the demo repository (src/demo): reused when it is current, else made (trained, committed, evaluated)
node dist/demo.js "$SAMPLE" ${RECREATE:+"$RECREATE"}
SAMPLE=$(cd "$SAMPLE" && pwd)

if command -v code >/dev/null 2>&1 && [ -z "${MV_USE_CODE_SERVER:-}" ]; then
  echo "Opening $SAMPLE in your VS Code (code --extensionDevelopmentPath)…"
  exec code --extensionDevelopmentPath="$ROOT" "$SAMPLE"
fi

PORT=${MV_PORT:-8080}
STATE=$(mktemp -d "${TMPDIR:-/tmp}/model-versions-start.XXXXXX")
mkdir -p "$STATE/ud/User" "$STATE/exts"
cat > "$STATE/ud/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false, "update.mode": "none", "workbench.tips.enabled": false }
JSON
CS="$ROOT/.code-server/node_modules/.bin/code-server"
EXTENSIONS_GALLERY='{"serviceUrl":""}' setsid "$CS" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry \
  --disable-update-check --disable-getting-started-override --ignore-last-opened \
  --user-data-dir "$STATE/ud" --extensions-dir "$STATE/exts" --config "$STATE/config.yaml" >"$STATE/server.log" 2>&1 &
PID=$!
cleanup() { kill -TERM -- "-$PID" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { echo "code-server failed to start:"; tail -20 "$STATE/server.log"; exit 1; }
  sleep 0.1
done
URL=$(node -e '
const [port, folder, ext] = process.argv.slice(1);
const payload = JSON.stringify([["extensionDevelopmentPath", `vscode-remote://127.0.0.1:${port}${ext}`]]);
console.log(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`);
' "$PORT" "$SAMPLE" "$ROOT")
echo
echo "Model Versions is running in VS Code (code-server) at:"
echo "  $URL"
echo "Press Ctrl+C to stop. Server log: $STATE/server.log"
wait "$PID"
