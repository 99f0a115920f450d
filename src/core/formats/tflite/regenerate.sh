#!/bin/sh
# Regenerate ./generated from ./schema.fbs (see README.md). Needs flatc 2.0.8 (Debian: flatbuffers-compiler).
set -eu
cd "$(dirname "$0")"
rm -rf generated
flatc --ts -o generated schema.fbs
# flatc 2.0.8 imports each union's unionTo…/unionListTo… helpers into the tables that hold the union,
# but only the object API (not generated here) calls them; drop them so noUnusedLocals passes.
sed -i -E 's/^import \{ ([A-Za-z0-9_]+), unionTo[A-Za-z0-9_]+, unionListTo[A-Za-z0-9_]+ \} from/import { \1 } from/' generated/tflite/*.ts
