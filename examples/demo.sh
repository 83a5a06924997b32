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

# --- publish: the example as a release in a local store (.krel-store/, gitignored) ----------------------
# The store is laid out like GitHub's download URLs: .krel-store/<owner>/<repo>/releases/download/<tag>/<asset>.
# Same tag rules and executor as GitHub: a draft, verified uploads, then one rename makes the release visible.
store=.krel-store
publish() { RELEASE_TAG=$1 "${KREL[@]}" publish --config examples/kontain/krel.json --store "dir:$store" --dist dist "${@:2}"; }

section "krel publish --dry-run: the plan (nothing is written)"
publish v0.1-test --dry-run

section "krel publish: v0.1-test to the local store $store"
publish v0.1-test
section "the release, as a user downloads it"
ls -l "$store/kontainapp/km/releases/download/v0.1-test"
(cd "$store/kontainapp/km/releases/download/v0.1-test" && sha256sum -c SHA256SUMS)

section "v0.1-test is a replace tag: publishing again replaces the release (--json output)"
publish v0.1-test --json

section "v0.9-beta is not: the first publish creates it, the second is refused with exit 3"
"${KREL[@]}" delete v0.9-beta --force --config examples/kontain/krel.json --store "dir:$store" >/dev/null 2>&1 || true
publish v0.9-beta
set +e
publish v0.9-beta 2>&1 | tail -n 1
status=${PIPESTATUS[0]}
set -e
echo "exit code: $status"
[[ $status -eq 3 ]]

# --- validate: the guide is the test ----------------------------------------------------------------------
# km-releases/GettingStarted.md runs step by step in a fresh Debian VM (qemu; KVM when it works, else TCG),
# installing from dist/ through an SSH reverse forward. The VM is destroyed afterwards.
section "krel doctor: what krel validate --vm needs"
if ! "${KREL[@]}" doctor; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    "${KREL[@]}" doctor --install
  else
    exit 2
  fi
fi

section "krel validate --vm: GettingStarted.md in a fresh VM (the first run builds the guest image)"
"${KREL[@]}" validate --config examples/kontain/krel.json --dist dist --vm --junit "$try/validate-junit.xml"
