#!/bin/bash
# WebGPU vs CPU with onnxruntime-node on a machine with a GPU and a Vulkan driver (issue #5).
# Needs: node 20 with this repo's node_modules (onnxruntime-node), python3 with numpy + onnx, `npm run build` done.
# Usage (repository root): bash bench/gpu/run.sh [ROWS]
# Prints, per model and batch size, the plain session.run speed on each provider and the largest output
# difference, then times `modelver eval` end to end with --provider cpu | webgpu | auto.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
M=$(mktemp -d "${TMPDIR:-/tmp}/mv-gpubench.XXXXXX")
trap 'rm -rf "$M"' EXIT
python3 "$ROOT/bench/gpu/mkmodels.py" "$M" "${1:-20000}" || exit 1
B="$ROOT/bench/gpu/gpubench.js"
echo "== 64-256-256-10 (the eval bench's model)"; WIDTH=64 DIMS='[64,256,256,10]' node "$B" "$M/issue_mlp.onnx" 256,4096 30
echo "== 256-2048-2048-10"; WIDTH=256 DIMS='[256,2048,2048,10]' node "$B" "$M/wide_mlp.onnx" 256,4096 30
echo "== 1024-4096-4096-4096-1000"; WIDTH=1024 DIMS='[1024,4096,4096,4096,1000]' node "$B" "$M/big_mlp.onnx" 256,2048 20
echo "== modelver eval end to end: 256-2048-2048-10 on the generated CSV, batch 1024"
for p in cpu webgpu auto; do
  s=$(date +%s%N)
  node "$ROOT/dist/cli.js" eval "$M/wide_mlp.onnx" --data "$M/wide.csv" --label label --batch 1024 --provider "$p" --json >"$M/eval-$p.json" 2>"$M/eval-$p.err"
  rc=$?
  e=$(date +%s%N)
  node -e 'const [f, p, rc, ns] = process.argv.slice(1); let r = {}; try { r = JSON.parse(require("fs").readFileSync(f, "utf8")); } catch {}
    console.log(`${p.padEnd(6)} exit ${rc}  wall ${(ns / 1e9).toFixed(2)} s  provider ${r.provider}  accuracy ${r.metrics?.accuracy}  run ${r.runMs?.toFixed(0)} ms  session ${r.sessionMs?.toFixed(0)} ms`);' \
    "$M/eval-$p.json" "$p" "$rc" "$((e - s))"
  [ "$rc" = 0 ] || tail -3 "$M/eval-$p.err"
done
