#!/usr/bin/env bash
# krel demo: the whole release of the sample Kontain build (examples/kontain) on this machine.
#
#   krel release = krel make -> krel validate --vm (the local dist, fresh VM) -> krel publish (local store)
#                  -> krel validate --vm --release (the published release, fresh VM)
#   krel images    = build the runenv images of krel.json (.krel-images/) -> push them to a registry
#
# The store .krel-store/ (gitignored) is laid out like GitHub's download URLs; the image registry .krel-registry/
# (gitignored) is an OCI image layout. Run the demo twice: the second run
# replaces v0.1-test, as CI does for every push of a releases/<a>/<b> branch.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

KREL=(node build/cli/main.js)
CONFIG=examples/kontain/krel.json
STORE=.krel-store
REGISTRY=.krel-registry
section() { printf '\n=== %s\n' "$*"; }
scratch=$(mktemp -d)
trap 'rm -rf -- "$scratch"' EXIT

# --- prerequisites ---------------------------------------------------------------------------------------------
section "krel doctor: what krel validate --vm needs"
if ! "${KREL[@]}" doctor; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    "${KREL[@]}" doctor --install
  else
    echo "install the missing tools (see above), then run the demo again" >&2
    exit 2
  fi
fi

# --- tag rules, on a throwaway store ------------------------------------------------------------------------
section "tag rules: v0.9-beta is not a replace tag, so its second publish is refused (exit 3, nothing changed)"
"${KREL[@]}" make --config "$CONFIG" --out "$scratch/dist"
publish_beta() {
  RELEASE_TAG=v0.9-beta "${KREL[@]}" publish --config "$CONFIG" --store "dir:$scratch/store" --dist "$scratch/dist"
}
publish_beta
set +e
publish_beta 2>&1 | tail -n 1
status=${PIPESTATUS[0]}
set -e
echo "exit code: $status"
[[ $status -eq 3 ]]

# --- the release -------------------------------------------------------------------------------------------------
section "krel release v0.1-test to $STORE (the first run builds the guest image, with progress)"
RELEASE_TAG=v0.1-test "${KREL[@]}" release --config "$CONFIG" --store "dir:$STORE" --out dist

section "what was released"
ls -l dist
(cd dist && sha256sum -c SHA256SUMS)
tar -tzvf dist/kontain.tar.gz
ls -l "$STORE/kontainapp/km/releases/download/v0.1-test"

# --- the runenv images -------------------------------------------------------------------------------------------
section "krel images: build the runenv images (examples/kontain/.krel-images) and push them to oci:$REGISTRY"
"${KREL[@]}" images build --config "$CONFIG"
"${KREL[@]}" images push --config "$CONFIG" --registry "oci:$REGISTRY"

section "CI pushes CI-<BuildId> and removes it afterwards: latest and the commit SHA stay"
"${KREL[@]}" images push --config "$CONFIG" --registry "oci:$REGISTRY" --tag CI-demo
"${KREL[@]}" images cleanup --config "$CONFIG" --registry "oci:$REGISTRY" --tag CI-demo

section "the tags in $REGISTRY"
node -e '
  const index = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const rows = index.manifests.map((m) => m.annotations["org.opencontainers.image.ref.name"].padEnd(60) + " " + m.digest);
  console.log(rows.sort().join("\n"));
' "$REGISTRY/index.json"
