#!/usr/bin/env bash
# kontain-install.sh: install a Kontain (KM) release into /opt/kontain. Run with -h for usage, environment
# and exit codes (also in README.md).
set -euo pipefail

readonly RELEASE_URL="${KONTAIN_RELEASE_URL:-https://github.com/kontainapp/km/releases/download}"
readonly REPO_URL="${KONTAIN_RELEASES_REPO_URL:-https://raw.githubusercontent.com/kontainapp/km-releases/master}"
readonly API_URL="${KONTAIN_API_URL:-https://api.github.com}"
readonly KVM_DEVICE="${KONTAIN_KVM_DEVICE:-/dev/kvm}"
readonly KKM_DEVICE="${KONTAIN_KKM_DEVICE:-/dev/kkm}"
# Lexically normalised (no trailing slash, no . or ..), so that link targets can be compared with it.
PREFIX=$(realpath -m -s -- "${KONTAIN_PREFIX:-/opt/kontain}")
readonly PREFIX
# The install marker: written into the prefix by every install (it holds the release: a tag, or the
# file:// directory installed from). A prefix is the installer's to replace only when it is empty or
# carries this marker.
readonly MARKER=.kontain-release
# The public key that must have signed a release's SHA256SUMS: KONTAIN_PUBKEY, else this file beside the script.
readonly KEY_FILE=kontain-release.pub
PROG=$(basename -- "${BASH_SOURCE[0]:-kontain-install.sh}")
readonly PROG

# Exit codes (documented in usage and README.md).
readonly E_BUG=1 E_USAGE=2 E_REFUSED=3 E_PARTWAY=4 E_SMOKE=5 E_ROOT=10 E_TOOL=11 E_NETWORK=12 E_MISSING=13

TAG=''            # the release tag, when installing from a release URL
LOCAL_DIR=''      # the directory, when installing from file://
RELEASE=''        # the release as the user named it: TAG or file:///dir (also what the marker holds)
SKIP_CHECKSUM=''  # --insecure-skip-checksum
WORK=''           # private download directory
STAGE=''          # unpack directory inside the prefix (same file system, so entries move in by rename)
PREVIOUS=''       # where the entries being replaced wait until the new ones are in place
CREATED_PREFIX='' # set when this run created the prefix: removed again when the run fails
ROLLBACK=''       # the function that undoes a swap begun but not finished
cleanup() {
  local status=$1
  if [[ $status -ne 0 && -n $ROLLBACK ]] && ! "$ROLLBACK"; then
    echo "${PROG}: error: could not put ${PREFIX} back as it was: the replaced entries are in ${PREVIOUS}" >&2
    PREVIOUS=''
    status=$E_PARTWAY
  fi
  if [[ -n $STAGE ]]; then rm -rf -- "$STAGE"; fi
  if [[ -n $PREVIOUS && -d $PREVIOUS ]]; then rm -rf -- "$PREVIOUS"; fi
  if [[ -n $WORK ]]; then rm -rf -- "$WORK"; fi
  if [[ $status -ne 0 && -n $CREATED_PREFIX ]]; then rmdir -- "$PREFIX" 2>/dev/null || true; fi
  exit "$status"
}
trap 'cleanup $?' EXIT
trap 'exit 130' INT TERM HUP

# fail CODE MESSAGE: one line on stderr, exit CODE. Nothing is left changed (see cleanup).
fail() {
  local code=$1
  shift
  echo "${PROG}: error: $*" >&2
  exit "$code"
}
die() { fail "$E_BUG" "$@"; }
# refuse MESSAGE: a rule says no; nothing has been changed.
refuse() { fail "$E_REFUSED" "$@"; }
usage_error() { fail "$E_USAGE" "$* (see ${PROG} -h)"; }
warn() { echo "${PROG}: warning: $*" >&2; }
info() { echo "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# redact URL: no user:password@ in what is printed.
redact() { printf '%s' "$1" | sed -E 's#://[^/@]*@#://***@#'; }

usage() {
  cat <<USAGE
usage: ${PROG} [--insecure-skip-checksum] [TAG | latest | file:///DIR]
                                  install Kontain into ${PREFIX} (default: the current default release)
       ${PROG} -p NAME [TAG | latest | file:///DIR]
                                  add the payload NAME (python, node, ...); default: the installed release
       ${PROG} -u                 uninstall Kontain from ${PREFIX}

  TAG          a release tag, e.g. v0.9.1
  latest       the repository's latest release (asked of the GitHub API)
  file:///DIR  a local directory holding the release's tarballs and SHA256SUMS (an offline copy)
  --insecure-skip-checksum
               install a release that has no SHA256SUMS (or no line for the archive), unverified;
               a checksum that is listed is still checked

The prefix must be empty or a Kontain install (it carries ${MARKER}); anything else is refused.

Environment:
  KONTAIN_PREFIX             install directory (default /opt/kontain)
  KONTAIN_RELEASE_URL        where release assets are downloaded from, .../OWNER/REPO/releases/download
                             (default https://github.com/kontainapp/km/releases/download)
  KONTAIN_API_URL            GitHub API base, for latest (default https://api.github.com)
  KONTAIN_RELEASES_REPO_URL  where default-release is read from when it is not beside this script
  KONTAIN_KVM_DEVICE         the KVM device (default /dev/kvm)
  KONTAIN_KKM_DEVICE         the KKM device (default /dev/kkm)
  KONTAIN_SMOKE_EXPECT       text the smoke test must print (default: judged by its exit status only)
  KONTAIN_PUBKEY             a public key (PEM, Ed25519 or ECDSA P-256) that must have signed the release's
                             SHA256SUMS (SHA256SUMS.sig, checked with openssl before anything is installed);
                             default: ${KEY_FILE} beside this script, if there is one; else no signature check

Exit codes (on any failure the prefix is left as it was):
  0   installed, or nothing to do
  1   unexpected error in this script (please report it)
  2   usage error: unknown option, invalid tag, payload name or file:// URL, a key that cannot be used
  3   refused: not Linux, the prefix is not a Kontain install, checksum mismatch, no SHA256SUMS,
      an unsafe archive (absolute or .. member, link leading out of the prefix), with a key: a
      signature that does not verify, or a release without SHA256SUMS.sig (the prefix is not touched)
  4   could not put the prefix back after a failure (the message says where the previous files are)
  5   the smoke test failed (the previous install is restored)
  10  the prefix needs root: it is not writable by you (the message gives the sudo command)
  11  a required tool is missing: curl or wget, GNU tar, gzip, sha256sum (with a key: openssl)
  12  network error: a download failed (no connection, timeout, HTTP error other than 404)
  13  not found: the release or one of its assets does not exist
  130 interrupted
USAGE
}

check_linux() {
  local os
  os=$(uname -s)
  [[ $os == Linux ]] || refuse "Kontain runs on Linux only (this system is ${os})"
}

# require_tools NETWORK: the tools this run needs (a downloader only when NETWORK is 1).
require_tools() {
  if [[ $1 == 1 ]] && ! have curl && ! have wget; then
    fail "$E_TOOL" "neither curl nor wget is installed: sudo apt-get install -y curl (or your distribution's equivalent)"
  fi
  have tar || fail "$E_TOOL" "tar is not installed: sudo apt-get install -y tar (or your distribution's equivalent)"
  [[ $(tar --version 2>/dev/null) == *"GNU tar"* ]] ||
    fail "$E_TOOL" "GNU tar is needed (this tar is not GNU tar): install GNU tar, e.g. sudo apk add tar"
  have gzip || fail "$E_TOOL" "gzip is not installed: sudo apt-get install -y gzip (or your distribution's equivalent)"
  have sha256sum || have shasum ||
    fail "$E_TOOL" "neither sha256sum nor shasum is installed: sudo apt-get install -y coreutils"
}

# fetch URL OUT [ACCEPT]: download with retries (curl, else wget). Returns 0, or 44 when the server says
# 404 Not Found; any other failure is a network error (exit 12).
fetch() {
  local url=$1 out=$2 accept=${3:-*/*} code='' rc=0
  if have curl; then
    code=$(curl -sSL --retry 3 --retry-delay 1 --connect-timeout 20 -H "Accept: ${accept}" -w '%{http_code}' \
      -o "$out" -- "$url" 2>"$WORK/fetch.err") || rc=$?
  else
    wget -q -S --tries=3 --timeout=20 --header="Accept: ${accept}" -O "$out" -- "$url" 2>"$WORK/fetch.err" || rc=$?
    code=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$WORK/fetch.err" | tail -n1)
    if [[ $rc -eq 8 ]]; then rc=0; fi # the server answered: judged by its status below
  fi
  if [[ $rc -ne 0 ]]; then
    fail "$E_NETWORK" "download failed: $(redact "$url"): $(tail -n1 "$WORK/fetch.err") (check your network and proxy settings)"
  fi
  case $code in
    2??) return 0 ;;
    404)
      rm -f -- "$out"
      return 44
      ;;
  esac
  rm -f -- "$out"
  fail "$E_NETWORK" "download failed: $(redact "$url"): HTTP ${code:-error} (try again later)"
}

# where NAME: the URL (or file) NAME of the release is read from.
where() {
  if [[ -n $LOCAL_DIR ]]; then echo "${LOCAL_DIR}/$1"; else redact "${RELEASE_URL}/${TAG}/$1"; fi
}

# get_asset NAME OUT: NAME of the release into OUT. Returns 44 when the release has no NAME.
get_asset() {
  local name=$1 out=$2
  if [[ -n $LOCAL_DIR ]]; then
    [[ -f $LOCAL_DIR/$name ]] || return 44
    cp -- "$LOCAL_DIR/$name" "$out" || die "could not copy ${LOCAL_DIR}/${name}"
  else
    fetch "${RELEASE_URL}/${TAG}/${name}" "$out"
  fi
}

sha256_of() {
  if have sha256sum; then
    sha256sum -- "$1" | cut -d' ' -f1
  else
    shasum -a 256 -- "$1" | cut -d' ' -f1
  fi
}

# download_checked NAME: NAME of the release into $WORK, checked against the release's SHA256SUMS.
download_checked() {
  local name=$1 rc=0 expected actual
  info "Downloading ${name} (${RELEASE})"
  get_asset "$name" "$WORK/$name" || rc=$?
  [[ $rc -eq 0 ]] || fail "$E_MISSING" "release ${RELEASE} has no ${name}: $(where "$name") not found (check the release name)"
  if [[ ! -e $WORK/SHA256SUMS ]]; then
    get_asset SHA256SUMS "$WORK/SHA256SUMS" || rc=$?
    if [[ $rc -ne 0 ]]; then
      [[ -n $SKIP_CHECKSUM ]] ||
        refuse "release ${RELEASE} has no SHA256SUMS, so ${name} cannot be verified: refusing to install it (--insecure-skip-checksum installs it unverified)"
      : >"$WORK/SHA256SUMS"
    fi
  fi
  expected=$(awk -v f="$name" '$2 == f || $2 == "*" f { print $1; exit }' "$WORK/SHA256SUMS")
  if [[ -z $expected ]]; then
    [[ -n $SKIP_CHECKSUM ]] ||
      refuse "SHA256SUMS of release ${RELEASE} lists no ${name}: refusing to install it (--insecure-skip-checksum installs it unverified)"
    warn "!!! INSECURE: ${name} of release ${RELEASE} has no checksum; installing it UNVERIFIED (--insecure-skip-checksum) !!!"
    return 0
  fi
  actual=$(sha256_of "$WORK/$name")
  if [[ $actual != "$expected" ]]; then
    refuse "checksum mismatch for ${name}: SHA256SUMS says ${expected}, the download is ${actual}; refusing to install (download again; if it persists, report it)"
  fi
}

# signing_key: the public key file releases must be signed with (KONTAIN_PUBKEY, else KEY_FILE beside this
# script), or nothing when there is none.
signing_key() {
  local here
  if [[ -n ${KONTAIN_PUBKEY:-} ]]; then
    echo "$KONTAIN_PUBKEY"
    return 0
  fi
  here=$(dirname -- "${BASH_SOURCE[0]:-.}")
  if [[ -n ${BASH_SOURCE[0]:-} && -f $here/$KEY_FILE ]]; then echo "$here/$KEY_FILE"; fi
}

# verify_signature: with a key, SHA256SUMS of the release must carry a signature (SHA256SUMS.sig) that
# verifies with it; checked before the prefix is touched. Ed25519 and ECDSA P-256 keys, as krel signs them.
verify_signature() {
  local key rc=0 text
  key=$(signing_key)
  [[ -n $key ]] || return 0
  have openssl || fail "$E_TOOL" "openssl is not installed, and ${key} says releases must be signed: sudo apt-get install -y openssl"
  [[ -f $key && -r $key ]] || usage_error "the public key ${key} is not a readable file (KONTAIN_PUBKEY)"
  text=$(openssl pkey -pubin -in "$key" -noout -text 2>/dev/null) ||
    usage_error "${key} is not a public key in PEM (KONTAIN_PUBKEY): give the release's kontain-release.pub"
  get_asset SHA256SUMS "$WORK/SHA256SUMS" || rc=$?
  [[ $rc -eq 0 ]] || refuse "release ${RELEASE} has no SHA256SUMS, so its signature cannot be checked: refusing to install it"
  get_asset SHA256SUMS.sig "$WORK/SHA256SUMS.sig" || rc=$?
  [[ $rc -eq 0 ]] || refuse "release ${RELEASE} is not signed ($(where SHA256SUMS.sig) not found), and ${key} says it must be: refusing to install it"
  case $text in
    *ED25519*)
      openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$WORK/SHA256SUMS" -sigfile "$WORK/SHA256SUMS.sig" \
        >/dev/null 2>&1 || rc=$?
      ;;
    *prime256v1* | *P-256*)
      openssl dgst -sha256 -verify "$key" -signature "$WORK/SHA256SUMS.sig" "$WORK/SHA256SUMS" >/dev/null 2>&1 || rc=$?
      ;;
    *) usage_error "${key} is neither an Ed25519 nor an ECDSA P-256 key" ;;
  esac
  [[ $rc -eq 0 ]] ||
    refuse "the signature of SHA256SUMS of release ${RELEASE} does not verify with ${key}: refusing to install it (the release was changed after it was signed, or another key signed it)"
  info "Signature of SHA256SUMS verified with ${key}"
}

check_tag() {
  [[ $1 =~ ^v[0-9A-Za-z._+-]+$ ]] || usage_error "invalid release tag '${1}' (tags look like v0.9.1 or v0.9-beta)"
}

# The default release: default-release beside this script, else the one published with it.
default_tag() {
  local here tag='' rc=0
  here=$(dirname -- "${BASH_SOURCE[0]:-.}")
  if [[ -n ${BASH_SOURCE[0]:-} && -f $here/default-release ]]; then
    tag=$(head -n1 -- "$here/default-release")
  else
    fetch "${REPO_URL}/default-release" "$WORK/default-release" || rc=$?
    if [[ $rc -eq 0 ]]; then tag=$(head -n1 -- "$WORK/default-release"); fi
  fi
  tag=${tag//[[:space:]]/}
  [[ -n $tag ]] || fail "$E_MISSING" "could not read the default release from $(redact "${REPO_URL}")/default-release: name a TAG"
  echo "$tag"
}

# latest_tag: the tag of the repository's latest release, asked of the GitHub API.
latest_tag() {
  local repo tag rc=0
  [[ $RELEASE_URL =~ /([^/]+/[^/]+)/releases/download/?$ ]] ||
    usage_error "latest needs KONTAIN_RELEASE_URL to end in OWNER/REPO/releases/download"
  repo=${BASH_REMATCH[1]}
  fetch "${API_URL}/repos/${repo}/releases/latest" "$WORK/latest.json" application/vnd.github+json || rc=$?
  [[ $rc -eq 0 ]] || fail "$E_MISSING" "${repo} has no published release: $(redact "${API_URL}")/repos/${repo}/releases/latest is not found"
  tag=$(sed -n 's/.*"tag_name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$WORK/latest.json" | head -n1)
  [[ -n $tag ]] || fail "$E_NETWORK" "the answer of $(redact "${API_URL}")/repos/${repo}/releases/latest names no tag_name"
  echo "$tag"
}

# use_release ARG: set TAG or LOCAL_DIR, and RELEASE, from TAG | latest | file:///DIR.
use_release() {
  local arg=$1
  case $arg in
    file://*)
      LOCAL_DIR=${arg#file://}
      [[ $LOCAL_DIR == /* ]] || usage_error "invalid release '${arg}': a local release is file:///absolute/path"
      LOCAL_DIR=$(realpath -m -s -- "$LOCAL_DIR")
      [[ -d $LOCAL_DIR ]] || fail "$E_MISSING" "${LOCAL_DIR} is not a directory: name the directory holding the release's tarballs and SHA256SUMS"
      RELEASE=file://$LOCAL_DIR
      ;;
    latest)
      TAG=$(latest_tag)
      check_tag "$TAG"
      RELEASE=$TAG
      ;;
    *)
      check_tag "$arg"
      TAG=$arg RELEASE=$arg
      ;;
  esac
}

# prefix_state: absent | notdir | empty | ours (carries the marker) | foreign (holds anything else).
prefix_state() {
  local first
  if [[ ! -e $PREFIX && ! -L $PREFIX ]]; then
    echo absent
  elif [[ ! -d $PREFIX ]]; then
    echo notdir
  elif [[ -f $PREFIX/$MARKER && ! -L $PREFIX/$MARKER ]]; then
    echo ours
  else
    first=$(find "$PREFIX/" -mindepth 1 -maxdepth 1 -printf '%f\n' -quit) ||
      fail "$E_ROOT" "cannot read ${PREFIX} as $(id -un): run this script with sudo, or use another KONTAIN_PREFIX"
    if [[ -z $first ]]; then echo empty; else echo foreign; fi
  fi
}

# refuse_foreign STATE: only an empty prefix or one carrying the marker may be replaced or emptied.
refuse_foreign() {
  case $1 in
    notdir) refuse "${PREFIX} exists and is not a directory: refusing to touch it (set KONTAIN_PREFIX to a directory)" ;;
    foreign) refuse "${PREFIX} holds files that are not a Kontain install (no ${MARKER}): refusing to touch them; use an empty directory or another KONTAIN_PREFIX" ;;
  esac
}

# check_prefix: the prefix is ours to write (creating it when absent); anything else is refused untouched.
check_prefix() {
  local state parent
  state=$(prefix_state)
  refuse_foreign "$state"
  parent=$(dirname -- "$PREFIX")
  if [[ $state != absent ]]; then
    [[ -w $PREFIX ]] && return 0
  elif [[ -d $parent && -w $parent ]]; then
    mkdir -- "$PREFIX" && CREATED_PREFIX=1 && return 0
  fi
  fail "$E_ROOT" "${PREFIX} is not writable by $(id -un). Fix: sudo mkdir -p ${PREFIX} && sudo chown \$(id -u):\$(id -g) ${PREFIX} (or run this script with sudo)"
}

# check_names ARCHIVE WHAT: before anything is unpacked, no member may be absolute or contain "..".
check_names() {
  local archive=$1 what=$2 name
  tar --quoting-style=escape -tzf "$archive" >"$WORK/members" 2>"$WORK/tar.err" ||
    refuse "${what} is not a readable tar.gz archive ($(head -n1 -- "$WORK/tar.err")): refusing to install it"
  while IFS= read -r name; do
    [[ $name != /* ]] || refuse "${what} holds the absolute path ${name}: refusing to install it"
    [[ /$name/ != */../* ]] || refuse "${what} holds ${name}, which contains '..': refusing to install it"
  done <"$WORK/members"
}

# link_inside REL TARGET: does the symbolic link REL (relative to the prefix) stay inside the prefix?
# Accepted: a target made of some leading ".." (no more than REL's depth) then plain names, relative or
# absolute under the prefix. As every link obeys this, no chain of links leads out either.
link_inside() {
  local rel=$1 target=$2 depth=0 slashes part leading=1
  if [[ $target == /* ]]; then
    [[ $target == "$PREFIX"/* ]] || return 1
    target=${target#"$PREFIX"/}
  else
    # REL's depth is the number of slashes in it (find prints it without a leading ./ or doubled slashes); no
    # program is started per link, so a tree of thousands of links checks quickly.
    slashes=${rel//[!\/]/}
    depth=${#slashes}
  fi
  while [[ -n $target ]]; do
    part=${target%%/*}
    if [[ $target == */* ]]; then target=${target#*/}; else target=''; fi
    case $part in
      '' | .) ;;
      ..)
        [[ $leading == 1 && $depth -gt 0 ]] || return 1
        depth=$((depth - 1))
        ;;
      *) leading=0 ;;
    esac
  done
}

# unpack_checked ARCHIVE WHAT: unpack into a fresh STAGE inside the prefix, refusing unsafe content.
unpack_checked() {
  local archive=$1 what=$2 entry rel target
  check_names "$archive" "$what"
  STAGE=$(mktemp -d "$PREFIX/.kontain-stage.XXXXXX")
  tar --no-same-owner -C "$STAGE" -xzf "$archive" 2>"$WORK/tar.err" ||
    refuse "could not unpack ${what} ($(head -n1 -- "$WORK/tar.err")): nothing was installed"
  entry=$(find "$STAGE" -mindepth 1 ! -type f ! -type d ! -type l -printf '%P\n' -quit)
  [[ -z $entry ]] || refuse "${what} holds ${entry}, which is not a file, directory or symbolic link: refusing to install it"
  while IFS= read -r -d '' rel && IFS= read -r -d '' target; do
    link_inside "$rel" "$target" ||
      refuse "${what} holds the link ${rel} -> ${target}, which leads outside ${PREFIX}: refusing to install it"
  done < <(find "$STAGE" -mindepth 1 -type l -printf '%P\0%l\0')
}

# The core swap: everything in the prefix moves aside into PREVIOUS, then the staged entries move in.
MOVED_OUT=()
MOVED_IN=()
undo_core_swap() {
  local name
  for name in "${MOVED_IN[@]}"; do rm -rf -- "${PREFIX:?}/$name"; done
  for name in "${MOVED_OUT[@]}"; do mv -T -- "$PREVIOUS/$name" "$PREFIX/$name"; done
}

# Unpack into a stage inside PREFIX, check it, then swap it in entry by entry; the previous install is
# removed last. Any failure puts the previous entries back.
install_core() {
  local name entries
  unpack_checked "$WORK/kontain.tar.gz" kontain.tar.gz
  [[ -x $STAGE/bin/km && -f $STAGE/bin/km ]] || refuse "kontain.tar.gz of ${RELEASE} has no bin/km: refusing to install it"
  printf '%s\n' "$RELEASE" >"$STAGE/$MARKER"
  PREVIOUS=$(mktemp -d "$PREFIX/.kontain-previous.XXXXXX")
  ROLLBACK=undo_core_swap
  mapfile -d '' entries < <(find "$PREFIX/" -mindepth 1 -maxdepth 1 -printf '%f\0')
  for name in "${entries[@]}"; do
    [[ $PREFIX/$name != "$STAGE" && $PREFIX/$name != "$PREVIOUS" ]] || continue
    mv -T -- "$PREFIX/$name" "$PREVIOUS/$name"
    MOVED_OUT+=("$name")
  done
  mapfile -d '' entries < <(find "$STAGE/" -mindepth 1 -maxdepth 1 -printf '%f\0')
  for name in "${entries[@]}"; do
    mv -T -- "$STAGE/$name" "$PREFIX/$name"
    MOVED_IN+=("$name")
  done
}

# The payload merge: new entries move in, an existing file or link of the same name moves aside first.
MERGED=()
REPLACED=()
undo_payload_merge() {
  local i
  for ((i = ${#MERGED[@]} - 1; i >= 0; i--)); do rm -rf -- "${PREFIX:?}/${MERGED[i]}"; done
  for ((i = ${#REPLACED[@]} - 1; i >= 0; i--)); do mv -T -- "$PREVIOUS/${REPLACED[i]}" "$PREFIX/${REPLACED[i]}"; done
}

# install_payload ARCHIVE WHAT: unpack and check in a stage, then merge it into the prefix without ever
# writing through a link: each payload directory must be absent or a real directory in the prefix.
install_payload() {
  local archive=$1 what=$2 rel dst skip='' entries
  unpack_checked "$archive" "$what"
  mapfile -d '' entries < <(find "$STAGE" -mindepth 1 -printf '%P\0')
  for rel in "${entries[@]}"; do
    dst=$PREFIX/$rel
    [[ $rel != "$MARKER" ]] || refuse "${what} holds ${MARKER}: refusing to install it"
    if [[ -d $STAGE/$rel && ! -L $STAGE/$rel ]]; then
      if [[ -L $dst || (-e $dst && ! -d $dst) ]]; then
        refuse "${what} unpacks into ${dst}, which is a link or not a directory: refusing to write through it"
      fi
    elif [[ -d $dst && ! -L $dst ]]; then
      refuse "${what} would replace the directory ${dst} with a file: refusing to install it"
    fi
  done
  PREVIOUS=$(mktemp -d "$PREFIX/.kontain-previous.XXXXXX")
  ROLLBACK=undo_payload_merge
  for rel in "${entries[@]}"; do
    if [[ -n $skip && $rel == "$skip"/* ]]; then continue; fi
    dst=$PREFIX/$rel
    if [[ -d $STAGE/$rel && ! -L $STAGE/$rel && -d $dst ]]; then continue; fi
    if [[ -e $dst || -L $dst ]]; then
      mkdir -p -- "$(dirname -- "$PREVIOUS/$rel")"
      mv -T -- "$dst" "$PREVIOUS/$rel"
      REPLACED+=("$rel")
    fi
    mv -T -- "$STAGE/$rel" "$dst"
    MERGED+=("$rel")
    skip=$rel
  done
  ROLLBACK=''
}

# usable_device: the first device KM can use, KVM then KKM: a character device you can read and write.
usable_device() {
  local dev
  for dev in "$KVM_DEVICE" "$KKM_DEVICE"; do
    if [[ -c $dev && -r $dev && -w $dev ]]; then
      echo "$dev"
      return 0
    fi
  done
  return 1
}

# no_device_advice: why neither device is usable, and what to do about it.
no_device_advice() {
  local dev kkm="kkm.run from the release (sudo bash kkm.run)"
  if [[ -n $TAG ]]; then kkm="kkm.run from the release ($(redact "${RELEASE_URL}/${TAG}/kkm.run"); sudo bash kkm.run)"; fi
  for dev in "$KVM_DEVICE" "$KKM_DEVICE"; do
    if [[ -c $dev ]]; then
      echo "${dev} is there but you cannot read and write it: add yourself to its group (sudo usermod -aG $(stat -c %G -- "$dev") $(id -un)) and log in again"
      return 0
    fi
  done
  if grep -qw vmx /proc/cpuinfo 2>/dev/null; then
    echo "load KVM with: sudo modprobe kvm_intel (or install KKM: ${kkm})"
  elif grep -qw svm /proc/cpuinfo 2>/dev/null; then
    echo "load KVM with: sudo modprobe kvm_amd (or install KKM: ${kkm})"
  else
    echo "this CPU shows no hardware virtualisation (vmx/svm), as in a cloud VM without nested virtualisation: install KKM with ${kkm}; or, where KVM is available, sudo modprobe kvm_intel (kvm_amd on AMD)"
  fi
}

# smoke_test: run the test program when KVM or KKM is usable. Judged by its exit status, and by its output
# only when KONTAIN_SMOKE_EXPECT is set. Failure: exit 5 (the caller's rollback restores the previous install).
smoke_test() {
  local dev out rc=0 cmd=("$PREFIX/bin/km" "$PREFIX/tests/hello_test.km" Hello World)
  if ! dev=$(usable_device); then
    warn "no usable ${KVM_DEVICE} or ${KKM_DEVICE} here, so KM cannot run programs yet: $(no_device_advice); then check with: ${cmd[*]}"
    return 0
  fi
  out=$("${cmd[@]}" 2>&1) || rc=$?
  out=${out//$'\n'/ }
  if [[ $rc -ne 0 ]]; then
    fail "$E_SMOKE" "the smoke test failed (exit ${rc}) with ${dev}: ${cmd[*]}: ${out}; the previous state of ${PREFIX} is restored"
  fi
  if [[ -n ${KONTAIN_SMOKE_EXPECT:-} && $out != *"$KONTAIN_SMOKE_EXPECT"* ]]; then
    fail "$E_SMOKE" "the smoke test printed '${out}', not '${KONTAIN_SMOKE_EXPECT}': ${cmd[*]}; the previous state of ${PREFIX} is restored"
  fi
  info "Smoke test passed (${dev}): ${cmd[*]} -> ${out}"
}

# The release to use when none is named: the installed one for payloads, else the default release.
installed_release() {
  [[ -f $PREFIX/$MARKER && ! -L $PREFIX/$MARKER ]] ||
    refuse "Kontain is not installed in ${PREFIX}: install it first (${PROG} [TAG])"
  head -n1 -- "$PREFIX/$MARKER"
}

do_install() {
  local arg=$1
  check_linux
  require_tools "$([[ $arg == file://* ]] && echo 0 || echo 1)"
  WORK=$(mktemp -d)
  if [[ -z $arg ]]; then arg=$(default_tag); fi
  use_release "$arg"
  verify_signature
  check_prefix
  download_checked kontain.tar.gz
  install_core
  smoke_test
  ROLLBACK=''
  info "Installed Kontain ${RELEASE} in ${PREFIX}"
}

do_payload() {
  local name=$1 arg=$2
  check_linux
  [[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || usage_error "invalid payload name '${name}' (e.g. python, node)"
  if [[ -z $arg ]]; then arg=$(installed_release); else installed_release >/dev/null; fi
  require_tools "$([[ $arg == file://* ]] && echo 0 || echo 1)"
  WORK=$(mktemp -d)
  use_release "$arg"
  verify_signature
  check_prefix
  download_checked "kontain-${name}.tar.gz"
  install_payload "$WORK/kontain-${name}.tar.gz" "kontain-${name}.tar.gz"
  info "Installed the ${name} payload of Kontain ${RELEASE} in ${PREFIX}"
}

do_uninstall() {
  local state name entries
  state=$(prefix_state)
  case $state in
    absent | empty)
      info "Kontain is not installed in ${PREFIX}: nothing to do"
      return 0
      ;;
  esac
  refuse_foreign "$state"
  check_prefix
  # The marker goes last: an interrupted uninstall is still recognised as ours.
  mapfile -d '' entries < <(find "$PREFIX/" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -printf '%f\0')
  for name in "${entries[@]}"; do rm -rf -- "${PREFIX:?}/$name"; done
  rm -f -- "$PREFIX/$MARKER"
  info "Uninstalled Kontain from ${PREFIX}"
}

main() {
  local mode=install payload='' args=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      -h | --help)
        usage
        exit 0
        ;;
      -u) mode=uninstall ;;
      -p)
        [[ $# -ge 2 ]] || usage_error "-p needs a payload name"
        mode=payload payload=$2
        shift
        ;;
      --insecure-skip-checksum) SKIP_CHECKSUM=1 ;;
      --)
        shift
        args+=("$@")
        break
        ;;
      -*) usage_error "unknown option ${1}" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  [[ ${#args[@]} -le 1 ]] || usage_error "too many arguments: ${args[*]}"
  case $mode in
    install) do_install "${args[0]:-}" ;;
    payload) do_payload "$payload" "${args[0]:-}" ;;
    uninstall)
      [[ ${#args[@]} -eq 0 ]] || usage_error "-u takes no release: ${args[*]}"
      do_uninstall
      ;;
  esac
}

main "$@"
