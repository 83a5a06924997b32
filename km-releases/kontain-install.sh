#!/usr/bin/env bash
# kontain-install.sh: install a Kontain (KM) release into /opt/kontain.
#
#   kontain-install.sh [TAG]          install release TAG (default: the current default release)
#   kontain-install.sh -p NAME [TAG]  add a payload (e.g. python, node) to the installed release
#   kontain-install.sh -u             uninstall
#
# Environment: KONTAIN_PREFIX (default /opt/kontain), KONTAIN_RELEASE_URL (where release assets are
# downloaded from, default https://github.com/kontainapp/km/releases/download), KONTAIN_RELEASES_REPO_URL
# (where default-release is read from when it is not beside this script).
set -euo pipefail

readonly RELEASE_URL="${KONTAIN_RELEASE_URL:-https://github.com/kontainapp/km/releases/download}"
readonly REPO_URL="${KONTAIN_RELEASES_REPO_URL:-https://raw.githubusercontent.com/kontainapp/km-releases/master}"
readonly PREFIX="${KONTAIN_PREFIX:-/opt/kontain}"
readonly MARKER=.kontain-release
PROG=$(basename -- "${BASH_SOURCE[0]:-kontain-install.sh}")
readonly PROG

WORK=''
cleanup() {
  if [[ -n $WORK ]]; then rm -rf -- "$WORK"; fi
}
trap cleanup EXIT

die() {
  echo "${PROG}: error: $*" >&2
  exit 1
}
warn() { echo "${PROG}: warning: $*" >&2; }
info() { echo "$*"; }

usage() {
  cat <<USAGE
usage: ${PROG} [TAG]            install Kontain release TAG into ${PREFIX}
       ${PROG} -p NAME [TAG]    install the payload NAME (python, node, ...) of the installed release
       ${PROG} -u               uninstall Kontain from ${PREFIX}
USAGE
}

check_linux() {
  local os
  os=$(uname -s)
  [[ $os == Linux ]] || die "Kontain runs on Linux only (this system is ${os})"
}

# fetch URL FILE: download with retries; curl, else wget.
fetch() {
  local url=$1 out=$2
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --retry-delay 1 --connect-timeout 20 -o "$out" "$url" && return 0
  elif command -v wget >/dev/null 2>&1; then
    wget -q --tries=3 -O "$out" "$url" && return 0
  else
    die "neither curl nor wget is installed: sudo apt-get install -y curl (or your distribution's equivalent)"
  fi
  die "download failed: ${url} (check your network and that release ${TAG:-?} exists)"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -- "$1" | cut -d' ' -f1
  else
    shasum -a 256 -- "$1" | cut -d' ' -f1
  fi
}

# verify FILE NAME SUMS: the sha256 of FILE must be the one SUMS lists for NAME.
verify() {
  local file=$1 name=$2 sums=$3 expected actual
  expected=$(awk -v f="$name" '$2 == f || $2 == "*" f { print $1; exit }' "$sums")
  [[ -n $expected ]] || die "SHA256SUMS of release ${TAG} lists no ${name}: refusing to install it"
  actual=$(sha256_of "$file")
  if [[ $actual != "$expected" ]]; then
    die "checksum mismatch for ${name}: SHA256SUMS says ${expected}, the download is ${actual}; refusing to install (download again; if it persists, report it)"
  fi
}

check_tag() {
  [[ $1 =~ ^v[0-9A-Za-z._+-]+$ ]] || die "invalid release tag '${1}' (tags look like v0.9.1 or v0.9-beta)"
}

# The default release: default-release beside this script, else the one published with it.
default_tag() {
  local here tag
  here=$(dirname -- "${BASH_SOURCE[0]:-.}")
  if [[ -n ${BASH_SOURCE[0]:-} && -f $here/default-release ]]; then
    tag=$(head -n1 -- "$here/default-release")
  else
    tag=$(fetch "${REPO_URL}/default-release" /dev/stdout | head -n1)
  fi
  tag=${tag//[[:space:]]/}
  [[ -n $tag ]] || die "could not read the default release from ${REPO_URL}/default-release: name a TAG"
  echo "$tag"
}

check_prefix() {
  local parent
  parent=$(dirname -- "$PREFIX")
  if [[ -d $PREFIX ]]; then
    [[ -w $PREFIX ]] && return 0
  elif [[ -d $parent && -w $parent ]]; then
    mkdir -p -- "$PREFIX" && return 0
  fi
  die "${PREFIX} is not writable by $(id -un). Fix: sudo mkdir -p ${PREFIX} && sudo chown \$(id -u):\$(id -g) ${PREFIX} (or run this script with sudo)"
}

# download_verified NAME: NAME from release TAG into $WORK, checked against the release's SHA256SUMS.
download_verified() {
  local name=$1
  [[ -f $WORK/SHA256SUMS ]] || fetch "${RELEASE_URL}/${TAG}/SHA256SUMS" "$WORK/SHA256SUMS"
  info "Downloading ${name} (${TAG})"
  fetch "${RELEASE_URL}/${TAG}/${name}" "$WORK/${name}"
  verify "$WORK/${name}" "$name" "$WORK/SHA256SUMS"
}

# Unpack into a stage inside PREFIX, then swap it in entry by entry; the previous install is removed last.
install_core() {
  local stage="$PREFIX/.stage" old="$PREFIX/.previous" entry
  rm -rf -- "$stage" "$old"
  mkdir -p -- "$stage" "$old"
  tar --no-same-owner -C "$stage" -xzf "$WORK/kontain.tar.gz" || die "could not unpack kontain.tar.gz into ${stage}"
  [[ -x $stage/bin/km ]] || die "kontain.tar.gz of ${TAG} has no bin/km: refusing to install it"
  for entry in "$PREFIX"/* "$PREFIX/$MARKER"; do
    [[ -e $entry ]] && mv -- "$entry" "$old/"
  done
  for entry in "$stage"/*; do
    mv -- "$entry" "$PREFIX/"
  done
  echo "$TAG" >"$PREFIX/$MARKER"
  rm -rf -- "$stage" "$old"
}

smoke_test() {
  local cmd=("$PREFIX/bin/km" "$PREFIX/tests/hello_test.km" Hello World)
  if [[ -r /dev/kvm && -w /dev/kvm ]]; then
    local out
    out=$("${cmd[@]}" 2>&1) || die "installed, but the smoke test failed: ${cmd[*]}: ${out}"
    [[ $out == *"Hello World"* ]] || die "installed, but the smoke test printed '${out}' instead of 'Hello World'"
    info "Smoke test passed: ${cmd[*]} -> ${out}"
  else
    warn "no usable /dev/kvm here (KM needs KVM or the kkm module to run programs); when it is available, check with: ${cmd[*]}"
  fi
}

do_install() {
  check_linux
  if [[ -z ${TAG:-} ]]; then TAG=$(default_tag); fi
  check_tag "$TAG"
  check_prefix
  WORK=$(mktemp -d)
  download_verified kontain.tar.gz
  install_core
  info "Installed Kontain ${TAG} in ${PREFIX}"
  smoke_test
}

do_payload() {
  local name=$1
  check_linux
  [[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || die "invalid payload name '${name}' (e.g. python, node)"
  [[ -f $PREFIX/$MARKER ]] || die "Kontain is not installed in ${PREFIX}: install it first (${PROG} [TAG])"
  if [[ -z ${TAG:-} ]]; then TAG=$(head -n1 -- "$PREFIX/$MARKER"); fi
  check_tag "$TAG"
  check_prefix
  WORK=$(mktemp -d)
  download_verified "kontain-${name}.tar.gz"
  tar --no-same-owner -C "$PREFIX" -xzf "$WORK/kontain-${name}.tar.gz" || die "could not unpack kontain-${name}.tar.gz"
  info "Installed the ${name} payload of Kontain ${TAG} in ${PREFIX}"
}

do_uninstall() {
  if [[ ! -e $PREFIX ]]; then
    info "Kontain is not installed in ${PREFIX}: nothing to do"
    return 0
  fi
  [[ -f $PREFIX/$MARKER ]] || die "${PREFIX} does not look like a Kontain install (no ${MARKER}): remove it yourself if you are sure"
  check_prefix
  find "$PREFIX" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
  info "Uninstalled Kontain from ${PREFIX}"
}

main() {
  local mode=install payload=''
  TAG=''
  while getopts ":up:h" opt; do
    case $opt in
      u) mode=uninstall ;;
      p) mode=payload payload=$OPTARG ;;
      h) usage; exit 0 ;;
      :) usage >&2; die "-${OPTARG} needs a value" ;;
      *) usage >&2; die "unknown option -${OPTARG}" ;;
    esac
  done
  shift $((OPTIND - 1))
  [[ $# -le 1 ]] || { usage >&2; die "too many arguments: $*"; }
  TAG=${1:-}
  case $mode in
    install) do_install ;;
    payload) do_payload "$payload" ;;
    uninstall) do_uninstall ;;
  esac
}

main "$@"
