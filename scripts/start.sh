#!/usr/bin/env bash
# `npm start`: build the extension and open it in a real VS Code on the demo repository.
# Installs what it needs first (apt packages on Debian, npm packages, code-server) and skips what is there.
# Usage: npm start [-- --recreate]   (--recreate: make the demo repository afresh)
# Env: MV_PORT (default 8080), MV_SAMPLE (demo folder, default ./demo), MV_RECREATE=1 (as --recreate),
#      MV_USE_CODE_SERVER=1 (code-server even when `code` is on PATH).
# With code-server, http://127.0.0.1:$MV_PORT/ opens the demo with the extension (scripts/serve.sh).
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

# git + git-lfs (the demo repository), curl (the readiness check in scripts/serve.sh) and code-server's build
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
  exec code --extensionDevelopmentPath="$ROOT" "$SAMPLE" "$SAMPLE/README.md"
fi

# code-server on http://127.0.0.1:$MV_PORT/ with the demo and the extension (scripts/serve.sh: Workspace
# Trust off for this folder we made, the demo's README opened, its temp state removed on Ctrl+C)
exec bash scripts/serve.sh "$SAMPLE"
