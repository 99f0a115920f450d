#!/usr/bin/env bash
# The whole test run (`npm test`): build, compile the tests, then the unit, integration (extension
# tests in a real VS Code 1.100 via code-server) and UI (playwright + Chromium) suites, with the
# per-layer type check and lint as steps (a failing step counts as 1 failed).
# A failing step does not stop the others. The last line is the total over all suites:
#   N passed, N failed[, N skipped]
# and the exit status is non-zero when anything failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COUNTS="$ROOT/.test-artifacts/counts"
rm -rf "$COUNTS"
mkdir -p "$COUNTS"

SUITES=(unit integration ui)
declare -A SUITE_RC=()
STEP_FAILURES=()   # steps outside the suites that failed (each counts as 1 failed)
SUITE_NOTES=()

banner() { printf '\n==== %s ====\n' "$*"; }
timed() { # timed NAME CMD...: runs CMD, prints its duration, returns its status
  local name=$1 start rc
  shift
  start=$(date +%s)
  "$@"
  rc=$?
  echo "---- $name: exit $rc in $(( $(date +%s) - start )) s"
  return "$rc"
}

banner "apt prerequisites"
timed ensure-apt bash scripts/ensure-apt.sh || echo "test-all: warning: scripts/ensure-apt.sh failed; continuing (later steps say what is missing)"

banner "npm packages"
export ONNXRUNTIME_NODE_INSTALL=skip # onnxruntime-node's postinstall would download CUDA files
if [ -x node_modules/.bin/esbuild ] && [ -x node_modules/.bin/tsc ] && [ -x node_modules/.bin/mocha ] &&
   [ -d node_modules/playwright-core ] && [ -d node_modules/@vscode/test-electron ]; then
  echo "node_modules present"
else
  timed npm-ci npm ci --no-audit --no-fund || STEP_FAILURES+=("npm-ci: npm ci failed")
fi

banner "build (npm run build)"
timed build npm run build || STEP_FAILURES+=("build: npm run build failed")

# The compile of the tests, the per-layer type check and the lint read the sources and write nothing the
# others read (the compile writes out/, which the lint ignores), so they run side by side (one tsc
# program each); each one's output is printed after its end.
banner "compile tests (tsc -p tsconfig.test.json), type check per layer, lint: side by side"
rm -rf out # no stale compiled tests from deleted sources
PAR="$(mktemp -d)"
side() { # side NAME CMD...: runs CMD in the background; its output in $PAR/NAME.log, "status seconds" in $PAR/NAME.rc
  local name=$1
  shift
  ( start=$(date +%s); "$@" >"$PAR/$name.log" 2>&1; echo "$? $(( $(date +%s) - start ))" >"$PAR/$name.rc" ) &
}
side compile-tests npx tsc -p tsconfig.test.json
# (npm run typecheck also runs `tsc -p . --noEmit`: the compile step checks the same sources with the
# same options, so only the two per-layer checks (core and webview-ui without vscode; webview-ui
# without node) run here)
side typecheck bash -c 'npx tsc -p tsconfig.core.json && npx tsc -p tsconfig.webview.json'
side lint npm run --silent lint # floating promises, imports between layers
wait
declare -A SIDE_FAILS=(
  [compile-tests]="compile-tests: tsc -p tsconfig.test.json reported errors"
  [typecheck]="typecheck: tsc -p tsconfig.core.json / tsconfig.webview.json reported errors"
  [lint]="lint: npm run lint reported problems"
)
for name in compile-tests typecheck lint; do
  banner "$name"
  cat "$PAR/$name.log"
  read -r rc secs 2>/dev/null <"$PAR/$name.rc" || { rc=1; secs=0; }
  echo "---- $name: exit $rc in $secs s"
  [ "$rc" -eq 0 ] || STEP_FAILURES+=("${SIDE_FAILS[$name]}")
done
rm -rf "$PAR"

banner "unit tests"
if [ -n "$(find out/test/unit -name '*.test.js' -print -quit 2>/dev/null)" ]; then
  # two test files at a time (mocha --parallel: each file in a worker process of its own); most unit
  # tests wait on git, git-lfs and evaluation-host processes they start
  MV_COUNTS_FILE="$COUNTS/unit.json" timed unit npx mocha --config .mocharc.json --parallel --jobs 2
  SUITE_RC[unit]=$?
else
  echo "unit: no compiled unit tests (out/test/unit/**/*.test.js); nothing to run"
  echo '{"passed":0,"failed":0,"skipped":0}' >"$COUNTS/unit.json"
  SUITE_RC[unit]=0
fi

banner "code-server (scripts/install-code-server.sh)"
if timed install-code-server bash scripts/install-code-server.sh; then
  banner "integration tests (extension tests in code-server)"
  MV_COUNTS_FILE="$COUNTS/integration.json" timed integration node out/test/integration/runTest.js
  SUITE_RC[integration]=$?

  banner "UI tests (playwright-core + Chromium)"
  MV_COUNTS_FILE="$COUNTS/ui.json" timed ui node out/test/ui/run.js
  SUITE_RC[ui]=$?
else
  echo "test-all: code-server could not be installed, so the integration and UI suites do not run (each counts as 1 failed)"
fi

banner "summary"
# Sum the counts files; a suite without one (it crashed or did not run) counts as 1 failed, and so
# does a suite that exited non-zero although its counts show no failure (e.g. a timeout after the run).
export MV_SUMMARY_SUITES="${SUITES[*]}"
export MV_SUMMARY_STEP_FAILURES
MV_SUMMARY_STEP_FAILURES="$(printf '%s\n' "${STEP_FAILURES[@]+"${STEP_FAILURES[@]}"}")"
export MV_SUMMARY_RCS=""
for s in "${SUITES[@]}"; do MV_SUMMARY_RCS+="$s=${SUITE_RC[$s]:-}"$'\n'; done
COUNTS_DIR="$COUNTS" node - <<'EOF'
const fs = require('fs');
const path = require('path');
const rcs = Object.fromEntries(
  process.env.MV_SUMMARY_RCS.split('\n').filter(Boolean).map((l) => l.split('=')),
);
let passed = 0, failed = 0, skipped = 0;
const notes = [];
for (const suite of process.env.MV_SUMMARY_SUITES.split(' ')) {
  const file = path.join(process.env.COUNTS_DIR, `${suite}.json`);
  let c;
  try {
    c = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    c = undefined;
  }
  const rc = rcs[suite] === '' || rcs[suite] === undefined ? 'did not run' : `exit ${rcs[suite]}`;
  if (!c) {
    failed += 1;
    notes.push(`${suite}: no counts file (${rc}); counted as 1 failed`);
    continue;
  }
  passed += c.passed | 0;
  failed += c.failed | 0;
  skipped += c.skipped | 0;
  let extra = '';
  if ((c.failed | 0) === 0 && rcs[suite] !== '0') {
    failed += 1;
    extra = ` + 1 failed: ${rc} although no test failed`;
  }
  notes.push(`${suite}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''} (${rc})${extra}`);
}
for (const f of process.env.MV_SUMMARY_STEP_FAILURES.split('\n').filter(Boolean)) {
  failed += 1;
  notes.push(`${f}; counted as 1 failed`);
}
for (const n of notes) console.log(n);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
EOF
