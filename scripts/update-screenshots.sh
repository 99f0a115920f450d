#!/usr/bin/env bash
# Copies the README's screenshots from the last UI test run (.test-artifacts/screenshots/, written by
# `npm run test:ui`: test/ui/demo.test.ts takes them on the demo repository, in a 1600×1000 window with
# VS Code's default layout) into docs/images/. Run it after a UI run whose screenshots you have looked at.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=.test-artifacts/screenshots
mkdir -p docs/images
for f in demo-tree demo-diff demo-compare demo-history demo-lineage; do
  if [ ! -f "$SRC/$f.png" ]; then
    echo "update-screenshots: $SRC/$f.png is missing: run npm run test:ui first" >&2
    exit 1
  fi
  cp "$SRC/$f.png" "docs/images/$f.png"
done
echo "update-screenshots: copied $(ls docs/images | wc -l) images to docs/images/"
