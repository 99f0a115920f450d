#!/usr/bin/env bash
# Installs code-server (a real VS Code workbench + Node extension host, served over HTTP) from the
# npm registry into .code-server/ at the repository root, for the integration and UI tests.
#
#   bash scripts/install-code-server.sh          # idempotent: skipped when the right version is there
#   CODE_SERVER_DIR=/some/cache bash scripts/install-code-server.sh
#
# Why by hand: code-server's own postinstall refuses root and downloads ripgrep from GitHub; here
# every step is offline except the npm registry. code-server 4.100.3 = VS Code 1.100.3, the newest
# release that runs on Node 20 (4.103+ need Node 22, 4.133+ Node 24).
# Needs Node 20 + npm; the Debian packages g++ make python3 pkg-config libkrb5-dev ripgrep are installed
# through scripts/ensure-apt.sh when missing.
set -euo pipefail

VER="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${CODE_SERVER_DIR:-$ROOT/.code-server}"
BIN="$DEST/node_modules/.bin/code-server"

# `code-server --version` writes a default config.yaml and a log folder under $XDG_CONFIG_HOME and
# $XDG_DATA_HOME; keep those inside DEST instead of the user's home.
cs_version() {
  XDG_CONFIG_HOME="$DEST/.xdg/config" XDG_DATA_HOME="$DEST/.xdg/data" "$BIN" --version 2>/dev/null |
    grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -n1
}

if [ -x "$BIN" ] && cs_version | grep -q "^$VER "; then
  echo "code-server $VER already installed in $DEST"
  exit 0
fi

# ---- prerequisites ---------------------------------------------------------------------------
# Debian packages for the native modules (node-pty, kerberos, ...) and ripgrep: installed through
# scripts/ensure-apt.sh (waits for another apt, or says the exact command to run as root).
missing_cmds=()
missing_pkgs=()
check_prereqs() {
  missing_cmds=()
  missing_pkgs=()
  need_cmd() { # need_cmd COMMAND DEBIAN_PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then missing_cmds+=("$1"); missing_pkgs+=("$2"); fi
  }
  need_cmd g++ g++
  need_cmd make make
  need_cmd python3 python3
  need_cmd pkg-config pkg-config
  need_cmd rg ripgrep
  # kerberos (a code-server dependency) compiles against the GSSAPI headers.
  if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists krb5-gssapi; } &&
     [ ! -f /usr/include/gssapi/gssapi.h ]; then
    missing_cmds+=("krb5 headers (gssapi/gssapi.h)"); missing_pkgs+=("libkrb5-dev")
  fi
}
for c in node npm; do
  if ! command -v "$c" >/dev/null 2>&1; then
    echo "install-code-server: '$c' is not on PATH: install Node.js 20 (with npm) first, e.g. from https://nodejs.org/ or nvm." >&2
    exit 1
  fi
done
check_prereqs
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  echo "install-code-server: installing the missing prerequisites (${missing_cmds[*]}) with scripts/ensure-apt.sh"
  MV_APT_PACKAGES="${missing_pkgs[*]}" bash "$ROOT/scripts/ensure-apt.sh"
  check_prereqs
  if [ ${#missing_pkgs[@]} -gt 0 ]; then
    echo "install-code-server: still missing: ${missing_cmds[*]}" >&2
    echo "  On Debian/Ubuntu run:  sudo apt-get update && sudo apt-get install -y ${missing_pkgs[*]}" >&2
    exit 1
  fi
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$VER" = "4.100.3" ] && [ "$node_major" != "20" ]; then
  echo "install-code-server: warning: code-server $VER is built for Node 20; this is Node $(node --version)." >&2
fi

# ---- install ---------------------------------------------------------------------------------
mkdir -p "$DEST"
LOG="$DEST/install.log"
: >"$LOG"
echo "Installing code-server $VER into $DEST (log: $LOG) ..."
start=$(date +%s)

on_error() {
  local rc=$?
  echo "install-code-server: FAILED (exit $rc) at line ${BASH_LINENO[0]}; last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2 || true
  exit "$rc"
}
trap on_error ERR

step() { echo "  - $*"; echo "==== $*" >>"$LOG"; }

export npm_config_yes=true          # node-pty's install script runs `npx node-gyp`; npmrc may say yes=false
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# Compile native modules against the headers of the Node that runs them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$(dirname "$(dirname "$(command -v node)")")/include/node/node.h" ]; then
  export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
fi

cd "$DEST"
[ -f package.json ] || printf '{ "name": "code-server-for-tests", "private": true }\n' >package.json

step "npm install code-server@$VER (scripts off: its postinstall refuses root and downloads from GitHub)"
npm install --ignore-scripts --no-audit --no-fund --no-save "code-server@$VER" >>"$LOG" 2>&1
step "build argon2 (its prebuilt download fails offline; falls back to compiling)"
npm rebuild argon2 >>"$LOG" 2>&1

VS="$DEST/node_modules/code-server/lib/vscode"
cd "$VS"
step "install VS Code's own dependencies (pinned by its npm-shrinkwrap.json)"
npm install --omit=dev --ignore-scripts --no-audit --no-fund >>"$LOG" 2>&1
step "use Debian's ripgrep instead of downloading it"
# An existing bin/ makes @vscode/ripgrep's postinstall skip the GitHub download.
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
step "npm rebuild (compiles node-pty, spdlog, kerberos, watchdog, ...)"
npm rebuild >>"$LOG" 2>&1
step "finish code-server's postinstall steps"
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
step "install the built-in extensions' dependencies"
cd "$VS/extensions"
npm install --omit=dev --ignore-scripts --no-audit --no-fund >>"$LOG" 2>&1
node ./postinstall.mjs >>"$LOG" 2>&1

trap - ERR
version="$(cs_version || true)"
case "$version" in
  "$VER "*) ;;
  *) echo "install-code-server: installed, but '$BIN --version' says: $version" >&2; exit 1 ;;
esac
echo "code-server installed: $version ($(( $(date +%s) - start )) s)"
