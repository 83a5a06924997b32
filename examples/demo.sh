#!/usr/bin/env bash
# krel demo: package the sample Kontain build (examples/kontain) into dist/.
# Each stage of a release is one section below; later stages (publish, validate) follow the same shape.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

KREL=(node build/cli/main.js)
section() { printf '\n=== %s\n' "$*"; }

# --- make: archives, SHA256SUMS and release-manifest.json in dist/ -----------------------------------
section "krel make: package examples/kontain/build into dist/"
"${KREL[@]}" make --config examples/kontain/krel.json --out dist

section "what was made"
ls -l dist
section "sha256sum -c SHA256SUMS"
(cd dist && sha256sum -c SHA256SUMS)
section "tar -tzvf dist/kontain.tar.gz (sorted, owner 0/0, normalised modes)"
tar -tzvf dist/kontain.tar.gz

section "try it: extract kontain.tar.gz and run hello_test.km with km"
try=$(mktemp -d)
trap 'rm -rf -- "$try"' EXIT
tar -C "$try" -xzf dist/kontain.tar.gz
"$try/bin/km" "$try/tests/hello_test.km" Hello World
