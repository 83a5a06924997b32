#!/usr/bin/env bash
# kontain-install.sh: install a Kontain (KM) release into /opt/kontain. Run with -h for usage, environment
# and exit codes (also in README.md).
set -euo pipefail

readonly RELEASE_URL="${KONTAIN_RELEASE_URL:-https://github.com/kontainapp/km/releases/download}"
readonly REPO_URL="${KONTAIN_RELEASES_REPO_URL:-https://raw.githubusercontent.com/kontainapp/km-releases/master}"
readonly API_URL="${KONTAIN_API_URL:-https://api.github.com}"
readonly KVM_DEVICE="${KONTAIN_KVM_DEVICE:-/dev/kvm}"
readonly KKM_DEVICE="${KONTAIN_KKM_DEVICE:-/dev/kkm}"

# This script also runs in slow emulated VMs, where every program it starts costs a lot: what bash can do itself
# (path names, short files, text patterns, directory listings) is done without starting one, and programs that
# are needed do as much as they can per run (one curl for several downloads, one mv for many entries).

# strip_nl VAR: VAR without its trailing newlines (as a command substitution would have given it).
strip_nl() {
  while [[ ${!1} == *$'\n' ]]; do printf -v "$1" '%s' "${!1%$'\n'}"; done
}

# normalize PATH: NORMALIZED is PATH lexically normalised (no trailing slash, no . or ..), as realpath -m -s
# prints it. An absolute PATH is done by bash; a relative one is left to realpath (it reads the working directory).
normalize() {
  local path=$1 part
  if [[ $path != /* ]]; then
    NORMALIZED=$(realpath -m -s -- "$path")
    return 0
  fi
  NORMALIZED=''
  while [[ -n $path ]]; do
    part=${path%%/*}
    if [[ $path == */* ]]; then path=${path#*/}; else path=''; fi
    case $part in
      '' | .) ;;
      ..) NORMALIZED=${NORMALIZED%/*} ;;
      *) NORMALIZED+=/$part ;;
    esac
  done
  NORMALIZED=${NORMALIZED:-/}
  strip_nl NORMALIZED
}

# Lexically normalised (no trailing slash, no . or ..), so that link targets can be compared with it.
normalize "${KONTAIN_PREFIX:-/opt/kontain}"
PREFIX=$NORMALIZED
readonly PREFIX
# The install marker: written into the prefix by every install (it holds the release: a tag, or the
# file:// directory installed from). A prefix is the installer's to replace only when it is empty or
# carries this marker.
readonly MARKER=.kontain-release
# The public key that must have signed a release's SHA256SUMS: KONTAIN_PUBKEY, else this file beside the script.
readonly KEY_FILE=kontain-release.pub
# The script's name, as basename prints it.
PROG=${BASH_SOURCE[0]:-kontain-install.sh}
PROG=${PROG%"${PROG##*[!/]}"}
if [[ -z $PROG ]]; then PROG=/; else PROG=${PROG##*/}; fi
strip_nl PROG
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
  local status=$1 gone=()
  if [[ $status -ne 0 && -n $ROLLBACK ]] && ! "$ROLLBACK"; then
    echo "${PROG}: error: could not put ${PREFIX} back as it was: the replaced entries are in ${PREVIOUS}" >&2
    PREVIOUS=''
    status=$E_PARTWAY
  fi
  if [[ -n $STAGE ]]; then gone+=("$STAGE"); fi
  if [[ -n $PREVIOUS && -d $PREVIOUS ]]; then gone+=("$PREVIOUS"); fi
  if [[ -n $WORK ]]; then gone+=("$WORK"); fi
  if [[ ${#gone[@]} -gt 0 ]]; then rm -rf -- "${gone[@]}"; fi
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
# redacted URL: REDACTED is URL without user:password@ (in each line the first ://...@ becomes ://***@).
redacted() {
  local rest=$1 line re='://[^/@]*@' stars='://***@'
  REDACTED=''
  while :; do
    line=${rest%%$'\n'*}
    if [[ $line =~ $re ]]; then line=${line/"${BASH_REMATCH[0]}"/$stars}; fi
    REDACTED+=$line
    [[ $rest == *$'\n'* ]] || break
    rest=${rest#*$'\n'}
    REDACTED+=$'\n'
  done
}
# redact URL: no user:password@ in what is printed.
redact() {
  redacted "$1"
  printf '%s' "$REDACTED"
}
# first_line FILE: FIRST_LINE is the first line of FILE (as head -n1 prints it). When FILE cannot be read, head is
# asked after all, to say why (and fail).
first_line() {
  FIRST_LINE=''
  if { IFS= read -r FIRST_LINE || true; } 2>/dev/null <"$1"; then return 0; fi
  FIRST_LINE=$(head -n1 -- "$1")
}
# last_line FILE: LAST_LINE is the last line of FILE (as tail -n1 prints it).
last_line() {
  local line=''
  LAST_LINE=''
  while IFS= read -r line || [[ -n $line ]]; do LAST_LINE=$line; done <"$1" || true
}
# echoed TEXT: ECHOED is what $(echo "TEXT") gives (echo takes -n, -e, -E and mixes of them as options).
echoed() {
  ECHOED=$1
  if [[ $ECHOED =~ ^-[neE]+$ ]]; then ECHOED=''; fi
  strip_nl ECHOED
}
# script_dir: SCRIPT_DIR is the directory of this script, as dirname prints it.
script_dir() {
  SCRIPT_DIR=${BASH_SOURCE[0]:-.}
  SCRIPT_DIR=${SCRIPT_DIR%"${SCRIPT_DIR##*[!/]}"}
  if [[ -z $SCRIPT_DIR ]]; then
    SCRIPT_DIR=/
  elif [[ $SCRIPT_DIR != */* ]]; then
    SCRIPT_DIR=.
  else
    SCRIPT_DIR=${SCRIPT_DIR%/*}
    SCRIPT_DIR=${SCRIPT_DIR%"${SCRIPT_DIR##*[!/]}"}
    SCRIPT_DIR=${SCRIPT_DIR:-/}
  fi
  strip_nl SCRIPT_DIR
}
# entries DIR: ENTRIES holds the names in DIR, hidden ones too (none when DIR cannot be read). No GLOBIGNORE
# hides any.
entries() {
  local GLOBIGNORE='' path paths
  shopt -s nullglob dotglob
  shopt -u failglob
  paths=("$1"/*)
  shopt -u nullglob dotglob
  ENTRIES=()
  for path in "${paths[@]}"; do
    path=${path#"$1"/}
    if [[ $path != . && $path != .. ]]; then ENTRIES+=("$path"); fi
  done
}
# move_all FROM TO REL...: move each FROM/REL to TO/REL (whose directory exists), with one mv per directory.
# Every group is tried; the status is 1 when one failed.
move_all() {
  local from=$1 to=$2 rel dir name rest status=0 dirs=() srcs
  local -A names=()
  shift 2
  for rel; do
    if [[ $rel == */* ]]; then dir=${rel%/*} name=${rel##*/}; else dir='' name=$rel; fi
    if [[ -z ${names["d$dir"]+set} ]]; then dirs+=("$dir"); fi
    names["d$dir"]+=/$name # a name has no slash: the list is /NAME/NAME...
  done
  for dir in "${dirs[@]}"; do
    rest=${names["d$dir"]}
    srcs=()
    while [[ -n $rest ]]; do
      name=${rest#/}
      name=${name%%/*}
      rest=${rest#/"$name"}
      srcs+=("$from${dir:+/$dir}/$name")
    done
    mv -t "$to${dir:+/$dir}" -- "${srcs[@]}" || status=1
  done
  return "$status"
}

usage() {
  local text
  IFS= read -r -d '' text <<USAGE || true
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
  printf '%s' "$text"
}

check_linux() {
  local os
  # Bash knows the system it was built for: uname is asked (and names the system) only when that is not Linux.
  if [[ ${OSTYPE:-} == linux* ]]; then return 0; fi
  os=$(uname -s)
  [[ $os == Linux ]] || refuse "Kontain runs on Linux only (this system is ${os})"
}

# require_tools NETWORK: the tools this run needs (a downloader only when NETWORK is 1).
require_tools() {
  if [[ $1 == 1 ]] && ! have curl && ! have wget; then
    fail "$E_TOOL" "neither curl nor wget is installed: sudo apt-get install -y curl (or your distribution's equivalent)"
  fi
  have tar || fail "$E_TOOL" "tar is not installed: sudo apt-get install -y tar (or your distribution's equivalent)"
  [[ $(exec tar --version 2>/dev/null) == *"GNU tar"* ]] ||
    fail "$E_TOOL" "GNU tar is needed (this tar is not GNU tar): install GNU tar, e.g. sudo apk add tar"
  have gzip || fail "$E_TOOL" "gzip is not installed: sudo apt-get install -y gzip (or your distribution's equivalent)"
  have sha256sum || have shasum ||
    fail "$E_TOOL" "neither sha256sum nor shasum is installed: sudo apt-get install -y coreutils"
}

# Downloads: fetch ACCEPT URL OUT [URL OUT...] downloads each URL into OUT with retries; then fetched I judges
# download I (from 0), in the order they were given. With curl one run downloads them all, stopping at the first
# that fails (an HTTP status of 400 or more included); with wget each is downloaded when fetched asks for it.
FETCH_ACCEPT=''
FETCH_URLS=()
FETCH_OUTS=()
FETCH_CODES=() # the HTTP status of each download done
FETCH_RCS=()   # 0 for each download done; the curl or wget exit status for one that failed (without a status)
FETCH_ERRS=()  # the last line that curl or wget printed, for one that failed
fetch() {
  FETCH_ACCEPT=$1
  shift
  FETCH_URLS=() FETCH_OUTS=() FETCH_CODES=() FETCH_RCS=() FETCH_ERRS=()
  while [[ $# -gt 1 ]]; do
    FETCH_URLS+=("$1")
    FETCH_OUTS+=("$2")
    shift 2
  done
  if have curl; then curl_fetch "${!FETCH_URLS[@]}"; fi
}

# curl_fetch I...: downloads I... in one curl run. It prints each one's HTTP status as it finishes, and stops at
# the first that fails: that one is the last it reports on (or the first, if it reports on none).
curl_fetch() {
  local i rc=0 args=() todo=("$@") codes failed
  for i; do args+=(-o "${FETCH_OUTS[i]}" --url "${FETCH_URLS[i]}"); done
  curl -sSL --fail --fail-early --retry 3 --retry-delay 1 --connect-timeout 20 -H "Accept: ${FETCH_ACCEPT}" \
    -w '%{http_code}\n' "${args[@]}" >"$WORK/fetch.codes" 2>"$WORK/fetch.err" || rc=$?
  mapfile -t codes <"$WORK/fetch.codes"
  for ((i = 0; i < ${#codes[@]} && i < ${#todo[@]}; i++)); do
    FETCH_CODES[todo[i]]=${codes[i]}
    FETCH_RCS[todo[i]]=0
  done
  # Exit status 22 (--fail): the server answered with an HTTP error, judged by its status like any other answer.
  if [[ $rc -ne 0 && $rc -ne 22 ]]; then
    failed=$((${#codes[@]} > 0 ? ${#codes[@]} - 1 : 0))
    FETCH_RCS[todo[failed]]=$rc
    last_line "$WORK/fetch.err"
    FETCH_ERRS[todo[failed]]=$LAST_LINE
  fi
}

# wget_fetch I: download I with wget.
wget_fetch() {
  local i=$1 rc=0 code='' line
  wget -q -S --tries=3 --timeout=20 --header="Accept: ${FETCH_ACCEPT}" -O "${FETCH_OUTS[i]}" -- "${FETCH_URLS[i]}" \
    2>"$WORK/fetch.err" || rc=$?
  # The status of the last answer (wget -S prints every response's headers).
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^\ *HTTP/[0-9.]*\ ([0-9][0-9][0-9]) ]]; then code=${BASH_REMATCH[1]}; fi
  done <"$WORK/fetch.err"
  if [[ $rc -eq 8 ]]; then rc=0; fi # the server answered: judged by its status below
  FETCH_CODES[i]=$code
  FETCH_RCS[i]=$rc
  if [[ $rc -ne 0 ]]; then
    last_line "$WORK/fetch.err"
    FETCH_ERRS[i]=$LAST_LINE
  fi
}

# fetched I: 0 when download I succeeded, 44 when the server says 404 Not Found; any other failure is a network
# error (exit 12).
fetched() {
  local i=$1 url=${FETCH_URLS[$1]} out=${FETCH_OUTS[$1]} code
  if [[ -z ${FETCH_RCS[i]+set} ]]; then
    # Not downloaded yet: with wget, or after curl stopped at an earlier failure.
    if have curl; then curl_fetch "$i"; else wget_fetch "$i"; fi
  fi
  code=${FETCH_CODES[i]:-}
  if [[ ${FETCH_RCS[i]:-1} -ne 0 ]]; then
    fail "$E_NETWORK" "download failed: $(redact "$url"): ${FETCH_ERRS[i]:-} (check your network and proxy settings)"
  fi
  case $code in
    2??) return 0 ;;
    404)
      if [[ -e $out || -L $out ]]; then rm -f -- "$out"; fi
      return 44
      ;;
  esac
  if [[ -e $out || -L $out ]]; then rm -f -- "$out"; fi
  fail "$E_NETWORK" "download failed: $(redact "$url"): HTTP ${code:-error} (try again later)"
}

# where NAME: the URL (or file) NAME of the release is read from.
where() {
  if [[ -n $LOCAL_DIR ]]; then echo "${LOCAL_DIR}/$1"; else redact "${RELEASE_URL}/${TAG}/$1"; fi
}

# get_assets NAME...: get the release's NAMEs into $WORK, all at once (one curl run; from file://, one cp of those
# there); then got NAME says how each went, in the order the script needs them.
ASSETS=() # the NAMEs
COPIED=() # from file://: the files copied
get_assets() {
  local name srcs=() urls=()
  ASSETS=("$@")
  COPIED=()
  if [[ -n $LOCAL_DIR ]]; then
    for name; do
      if [[ -f $LOCAL_DIR/$name ]]; then srcs+=("$LOCAL_DIR/$name"); fi
    done
    # When this fails, got copies each file alone, and says which cannot be copied.
    if [[ ${#srcs[@]} -gt 0 ]] && cp -- "${srcs[@]}" "$WORK/" 2>/dev/null; then COPIED=("${srcs[@]}"); fi
    return 0
  fi
  for name; do urls+=("${RELEASE_URL}/${TAG}/${name}" "$WORK/$name"); done
  fetch '*/*' "${urls[@]}"
}

# got NAME: NAME of the release is in $WORK/NAME (asked for by get_assets). Returns 44 when the release has no NAME.
got() {
  local name=$1 i
  if [[ -n $LOCAL_DIR ]]; then
    for i in "${COPIED[@]}"; do
      if [[ $i == "$LOCAL_DIR/$name" ]]; then return 0; fi
    done
    [[ -f $LOCAL_DIR/$name ]] || return 44
    cp -- "$LOCAL_DIR/$name" "$WORK/$name" || die "could not copy ${LOCAL_DIR}/${name}"
    return 0
  fi
  for i in "${!ASSETS[@]}"; do
    if [[ ${ASSETS[i]} == "$name" ]]; then
      fetched "$i"
      return
    fi
  done
  get_assets "$name"
  fetched 0
}

# download_checked NAME: NAME of the release into $WORK, checked against the release's SHA256SUMS (downloaded
# with it, unless verify_signature already has it).
download_checked() {
  local name=$1 rc=0 sums=SHA256SUMS expected='' actual sum file rest
  info "Downloading ${name} (${RELEASE})"
  if [[ -e $WORK/SHA256SUMS ]]; then sums=''; fi
  get_assets "$name" ${sums:+"$sums"}
  got "$name" || rc=$?
  [[ $rc -eq 0 ]] || fail "$E_MISSING" "release ${RELEASE} has no ${name}: $(where "$name") not found (check the release name)"
  if [[ -n $sums ]]; then
    got SHA256SUMS || rc=$?
    if [[ $rc -ne 0 ]]; then
      [[ -n $SKIP_CHECKSUM ]] ||
        refuse "release ${RELEASE} has no SHA256SUMS, so ${name} cannot be verified: refusing to install it (--insecure-skip-checksum installs it unverified)"
      : >"$WORK/SHA256SUMS"
    fi
  fi
  # The first line whose second field is NAME (or *NAME, binary mode) gives the checksum.
  while read -r sum file rest || [[ -n $sum ]]; do
    if [[ $file == "$name" || $file == "*$name" ]]; then
      expected=$sum
      break
    fi
  done <"$WORK/SHA256SUMS"
  if [[ -z $expected ]]; then
    [[ -n $SKIP_CHECKSUM ]] ||
      refuse "SHA256SUMS of release ${RELEASE} lists no ${name}: refusing to install it (--insecure-skip-checksum installs it unverified)"
    warn "!!! INSECURE: ${name} of release ${RELEASE} has no checksum; installing it UNVERIFIED (--insecure-skip-checksum) !!!"
    return 0
  fi
  if have sha256sum; then
    actual=$(sha256sum -- "$WORK/$name")
  else
    actual=$(shasum -a 256 -- "$WORK/$name")
  fi
  actual=${actual%% *}
  if [[ $actual != "$expected" ]]; then
    refuse "checksum mismatch for ${name}: SHA256SUMS says ${expected}, the download is ${actual}; refusing to install (download again; if it persists, report it)"
  fi
}

# signing_key: KEY is the public key file releases must be signed with (KONTAIN_PUBKEY, else KEY_FILE beside this
# script), or empty when there is none.
signing_key() {
  KEY=''
  if [[ -n ${KONTAIN_PUBKEY:-} ]]; then
    echoed "$KONTAIN_PUBKEY"
    KEY=$ECHOED
    return 0
  fi
  script_dir
  if [[ -n ${BASH_SOURCE[0]:-} && -f $SCRIPT_DIR/$KEY_FILE ]]; then KEY=$SCRIPT_DIR/$KEY_FILE; fi
}

# verify_signature: with a key, SHA256SUMS of the release must carry a signature (SHA256SUMS.sig) that
# verifies with it; checked before the prefix is touched. Ed25519 and ECDSA P-256 keys, as krel signs them.
verify_signature() {
  local key rc=0 text
  signing_key
  key=$KEY
  [[ -n $key ]] || return 0
  have openssl || fail "$E_TOOL" "openssl is not installed, and ${key} says releases must be signed: sudo apt-get install -y openssl"
  [[ -f $key && -r $key ]] || usage_error "the public key ${key} is not a readable file (KONTAIN_PUBKEY)"
  text=$(openssl pkey -pubin -in "$key" -noout -text 2>/dev/null) ||
    usage_error "${key} is not a public key in PEM (KONTAIN_PUBKEY): give the release's kontain-release.pub"
  get_assets SHA256SUMS SHA256SUMS.sig
  got SHA256SUMS || rc=$?
  [[ $rc -eq 0 ]] || refuse "release ${RELEASE} has no SHA256SUMS, so its signature cannot be checked: refusing to install it"
  got SHA256SUMS.sig || rc=$?
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

# default_tag: DEFAULT_TAG is the default release: default-release beside this script, else the one published with it.
default_tag() {
  local tag='' rc=0
  script_dir
  if [[ -n ${BASH_SOURCE[0]:-} && -f $SCRIPT_DIR/default-release ]]; then
    first_line "$SCRIPT_DIR/default-release" || true
    tag=$FIRST_LINE
  else
    fetch '*/*' "${REPO_URL}/default-release" "$WORK/default-release"
    fetched 0 || rc=$?
    if [[ $rc -eq 0 ]]; then
      first_line "$WORK/default-release" || true
      tag=$FIRST_LINE
    fi
  fi
  tag=${tag//[[:space:]]/}
  [[ -n $tag ]] || fail "$E_MISSING" "could not read the default release from $(redact "${REPO_URL}")/default-release: name a TAG"
  echoed "$tag"
  DEFAULT_TAG=$ECHOED
}

# latest_tag: LATEST_TAG is the tag of the repository's latest release, asked of the GitHub API.
latest_tag() {
  local repo tag='' rc=0 line re='.*"tag_name"[[:space:]]*:[[:space:]]*"([^"]*)".*'
  [[ $RELEASE_URL =~ /([^/]+/[^/]+)/releases/download/?$ ]] ||
    usage_error "latest needs KONTAIN_RELEASE_URL to end in OWNER/REPO/releases/download"
  repo=${BASH_REMATCH[1]}
  fetch application/vnd.github+json "${API_URL}/repos/${repo}/releases/latest" "$WORK/latest.json"
  fetched 0 || rc=$?
  [[ $rc -eq 0 ]] || fail "$E_MISSING" "${repo} has no published release: $(redact "${API_URL}")/repos/${repo}/releases/latest is not found"
  # The first line naming a tag_name (the last one on that line).
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ $re ]]; then
      tag=${BASH_REMATCH[1]}
      break
    fi
  done <"$WORK/latest.json"
  [[ -n $tag ]] || fail "$E_NETWORK" "the answer of $(redact "${API_URL}")/repos/${repo}/releases/latest names no tag_name"
  echoed "$tag"
  LATEST_TAG=$ECHOED
}

# use_release ARG: set TAG or LOCAL_DIR, and RELEASE, from TAG | latest | file:///DIR.
use_release() {
  local arg=$1
  case $arg in
    file://*)
      LOCAL_DIR=${arg#file://}
      [[ $LOCAL_DIR == /* ]] || usage_error "invalid release '${arg}': a local release is file:///absolute/path"
      normalize "$LOCAL_DIR"
      LOCAL_DIR=$NORMALIZED
      [[ -d $LOCAL_DIR ]] || fail "$E_MISSING" "${LOCAL_DIR} is not a directory: name the directory holding the release's tarballs and SHA256SUMS"
      RELEASE=file://$LOCAL_DIR
      ;;
    latest)
      latest_tag
      TAG=$LATEST_TAG
      check_tag "$TAG"
      RELEASE=$TAG
      ;;
    *)
      check_tag "$arg"
      TAG=$arg RELEASE=$arg
      ;;
  esac
}

# prefix_state: STATE is absent | notdir | empty | ours (carries the marker) | foreign (holds anything else).
prefix_state() {
  local first
  if [[ ! -e $PREFIX && ! -L $PREFIX ]]; then
    STATE=absent
  elif [[ ! -d $PREFIX ]]; then
    STATE=notdir
  elif [[ -f $PREFIX/$MARKER && ! -L $PREFIX/$MARKER ]]; then
    STATE=ours
  elif { : <"$PREFIX/"; } 2>/dev/null; then
    # It can be opened (as a listing opens it): its entries are listed by bash.
    entries "$PREFIX"
    if [[ ${#ENTRIES[@]} -eq 0 ]]; then STATE=empty; else STATE=foreign; fi
  else
    first=$(find "$PREFIX/" -mindepth 1 -maxdepth 1 -printf '%f\n' -quit) ||
      fail "$E_ROOT" "cannot read ${PREFIX} as $(id -un): run this script with sudo, or use another KONTAIN_PREFIX"
    if [[ -z $first ]]; then STATE=empty; else STATE=foreign; fi
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
  local parent
  prefix_state
  refuse_foreign "$STATE"
  parent=${PREFIX%/*} # PREFIX is normalised and absolute
  parent=${parent:-/}
  if [[ $STATE != absent ]]; then
    [[ -w $PREFIX ]] && return 0
  elif [[ -d $parent && -w $parent ]]; then
    mkdir -- "$PREFIX" && CREATED_PREFIX=1 && return 0
  fi
  fail "$E_ROOT" "${PREFIX} is not writable by $(id -un). Fix: sudo mkdir -p ${PREFIX} && sudo chown \$(id -u):\$(id -g) ${PREFIX} (or run this script with sudo)"
}

# check_names ARCHIVE WHAT: before anything is unpacked, no member may be absolute or contain "..".
check_names() {
  local archive=$1 what=$2 name
  if ! tar --quoting-style=escape -tzf "$archive" >"$WORK/members" 2>"$WORK/tar.err"; then
    first_line "$WORK/tar.err" || true
    refuse "${what} is not a readable tar.gz archive (${FIRST_LINE}): refusing to install it"
  fi
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

# make_stage: STAGE (to unpack into) and PREVIOUS (where replaced entries wait), two new private directories inside
# the prefix, made by one mkdir (each name holds this process's id; mktemp makes them if that fails).
make_stage() {
  local suffix=$$.$RANDOM$RANDOM
  local stage=$PREFIX/.kontain-stage.$suffix previous=$PREFIX/.kontain-previous.$suffix
  if mkdir -m 700 -- "$stage" "$previous" 2>/dev/null; then
    STAGE=$stage PREVIOUS=$previous
    return 0
  fi
  rmdir -- "$stage" "$previous" 2>/dev/null || true # the one this mkdir made, if any
  STAGE=$(mktemp -d "$PREFIX/.kontain-stage.XXXXXX")
  PREVIOUS=$(mktemp -d "$PREFIX/.kontain-previous.XXXXXX")
}

# unpack_checked ARCHIVE WHAT [all]: unpack into a fresh STAGE inside the prefix, refusing unsafe content. With
# all, STAGED then lists every staged entry (relative to STAGE, a directory before what it holds).
STAGED=()
unpack_checked() {
  local archive=$1 what=$2 records i type rel other='' links=()
  local walk=(-type l -printf 'l%P\0%l\0' -o ! -type f ! -type d -printf '%y%P\0')
  check_names "$archive" "$what"
  make_stage
  if ! tar --no-same-owner -C "$STAGE" -xzf "$archive" 2>"$WORK/tar.err"; then
    first_line "$WORK/tar.err" || true
    refuse "could not unpack ${what} (${FIRST_LINE}): nothing was installed"
  fi
  # One walk of the staged tree: the type letter and path of each link (then its target) and of anything that is
  # not a file or directory, and with all of files and directories too.
  if [[ -n ${3:-} ]]; then walk+=(-o -printf '%y%P\0'); fi
  find "$STAGE" -mindepth 1 \( "${walk[@]}" \) >"$WORK/staged"
  mapfile -d '' records <"$WORK/staged"
  STAGED=()
  for ((i = 0; i < ${#records[@]}; i++)); do
    type=${records[i]:0:1} rel=${records[i]:1}
    STAGED+=("$rel")
    case $type in
      f | d) ;;
      l)
        i=$((i + 1))
        links+=("$rel" "${records[i]}")
        ;;
      *) if [[ -z $other ]]; then other=$rel; fi ;;
    esac
  done
  [[ -z $other ]] || refuse "${what} holds ${other}, which is not a file, directory or symbolic link: refusing to install it"
  for ((i = 0; i < ${#links[@]}; i += 2)); do
    link_inside "${links[i]}" "${links[i + 1]}" ||
      refuse "${what} holds the link ${links[i]} -> ${links[i + 1]}, which leads outside ${PREFIX}: refusing to install it"
  done
}

# The core swap: everything in the prefix moves aside into PREVIOUS, then the staged entries move in.
MOVED_IN=() # the staged names moving in (those no longer in STAGE have moved)
undo_core_swap() {
  local name status=0 gone=() back=()
  for name in "${MOVED_IN[@]}"; do
    if [[ ! -e $STAGE/$name && ! -L $STAGE/$name ]]; then gone+=("${PREFIX:?}/$name"); fi
  done
  if [[ ${#gone[@]} -gt 0 ]]; then rm -rf -- "${gone[@]}" || status=1; fi
  entries "$PREVIOUS"
  for name in "${ENTRIES[@]}"; do back+=("$PREVIOUS/$name"); done
  if [[ ${#back[@]} -gt 0 ]]; then mv -t "$PREFIX" -- "${back[@]}" || status=1; fi
  return "$status"
}

# Unpack into a stage inside PREFIX, check it, then swap it in (one mv moves the previous entries aside, one mv
# moves the new ones in); the previous install is removed last. Any failure puts the previous entries back.
install_core() {
  local name out=() in=()
  unpack_checked "$WORK/kontain.tar.gz" kontain.tar.gz
  [[ -x $STAGE/bin/km && -f $STAGE/bin/km ]] || refuse "kontain.tar.gz of ${RELEASE} has no bin/km: refusing to install it"
  printf '%s\n' "$RELEASE" >"$STAGE/$MARKER"
  ROLLBACK=undo_core_swap
  entries "$PREFIX"
  for name in "${ENTRIES[@]}"; do
    [[ $PREFIX/$name != "$STAGE" && $PREFIX/$name != "$PREVIOUS" ]] || continue
    out+=("$PREFIX/$name")
  done
  entries "$STAGE"
  MOVED_IN=("${ENTRIES[@]}")
  for name in "${MOVED_IN[@]}"; do in+=("$STAGE/$name"); done
  if [[ ${#out[@]} -gt 0 ]]; then mv -t "$PREVIOUS" -- "${out[@]}"; fi
  mv -t "$PREFIX" -- "${in[@]}"
}

# The payload merge: new entries move in, an existing file or link of the same name moves aside first.
MERGED=()   # the staged entries moving in (those no longer in STAGE have moved)
REPLACED=() # the entries of the prefix moving aside into PREVIOUS
undo_payload_merge() {
  local rel status=0 gone=() back=()
  for rel in "${MERGED[@]}"; do
    if [[ ! -e $STAGE/$rel && ! -L $STAGE/$rel ]]; then gone+=("${PREFIX:?}/$rel"); fi
  done
  if [[ ${#gone[@]} -gt 0 ]]; then rm -rf -- "${gone[@]}" || status=1; fi
  for rel in "${REPLACED[@]}"; do
    if [[ -e $PREVIOUS/$rel || -L $PREVIOUS/$rel ]]; then back+=("$rel"); fi
  done
  if [[ ${#back[@]} -gt 0 ]]; then move_all "$PREVIOUS" "$PREFIX" "${back[@]}" || status=1; fi
  return "$status"
}

# install_payload ARCHIVE WHAT: unpack and check in a stage, then merge it into the prefix without ever
# writing through a link: each payload directory must be absent or a real directory in the prefix.
install_payload() {
  local archive=$1 what=$2 rel dst skip='' parents=()
  local -A made=()
  unpack_checked "$archive" "$what" all
  for rel in "${STAGED[@]}"; do
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
  ROLLBACK=undo_payload_merge
  # What moves: a staged entry whose directory is not already in the prefix (its content moves with it), and
  # the existing file or link it replaces. Nothing planned here is inside another, so the moves can be grouped.
  for rel in "${STAGED[@]}"; do
    if [[ -n $skip && $rel == "$skip"/* ]]; then continue; fi
    dst=$PREFIX/$rel
    if [[ -d $STAGE/$rel && ! -L $STAGE/$rel && -d $dst ]]; then continue; fi
    if [[ -e $dst || -L $dst ]]; then
      REPLACED+=("$rel")
      if [[ $rel == */* && -z ${made["d${rel%/*}"]+set} ]]; then
        made["d${rel%/*}"]=1
        parents+=("$PREVIOUS/${rel%/*}")
      fi
    fi
    MERGED+=("$rel")
    skip=$rel
  done
  if [[ ${#parents[@]} -gt 0 ]]; then mkdir -p -- "${parents[@]}"; fi
  if [[ ${#REPLACED[@]} -gt 0 ]]; then move_all "$PREFIX" "$PREVIOUS" "${REPLACED[@]}"; fi
  if [[ ${#MERGED[@]} -gt 0 ]]; then move_all "$STAGE" "$PREFIX" "${MERGED[@]}"; fi
  ROLLBACK=''
}

# usable_device: DEVICE is the first device KM can use, KVM then KKM: a character device you can read and write.
usable_device() {
  local dev
  DEVICE=''
  for dev in "$KVM_DEVICE" "$KKM_DEVICE"; do
    if [[ -c $dev && -r $dev && -w $dev ]]; then
      DEVICE=$dev
      return 0
    fi
  done
  return 1
}

# no_device_advice: ADVICE says why neither device is usable, and what to do about it.
no_device_advice() {
  local dev group user cpu='' kkm="kkm.run from the release (sudo bash kkm.run)"
  local word='([^[:alnum:]_]|$)' start='(^|[^[:alnum:]_])'
  if [[ -n $TAG ]]; then
    redacted "${RELEASE_URL}/${TAG}/kkm.run"
    kkm="kkm.run from the release (${REDACTED}; sudo bash kkm.run)"
  fi
  for dev in "$KVM_DEVICE" "$KKM_DEVICE"; do
    if [[ -c $dev ]]; then
      group=$(stat -c %G -- "$dev") || true
      user=$(id -un) || true
      ADVICE="${dev} is there but you cannot read and write it: add yourself to its group (sudo usermod -aG ${group} ${user}) and log in again"
      return 0
    fi
  done
  # The CPU flags, as words (like grep -w).
  read -r -d '' cpu 2>/dev/null </proc/cpuinfo || true
  if [[ $cpu =~ ${start}vmx${word} ]]; then
    ADVICE="load KVM with: sudo modprobe kvm_intel (or install KKM: ${kkm})"
  elif [[ $cpu =~ ${start}svm${word} ]]; then
    ADVICE="load KVM with: sudo modprobe kvm_amd (or install KKM: ${kkm})"
  else
    ADVICE="this CPU shows no hardware virtualisation (vmx/svm), as in a cloud VM without nested virtualisation: install KKM with ${kkm}; or, where KVM is available, sudo modprobe kvm_intel (kvm_amd on AMD)"
  fi
}

# smoke_test: run the test program when KVM or KKM is usable. Judged by its exit status, and by its output
# only when KONTAIN_SMOKE_EXPECT is set. Failure: exit 5 (the caller's rollback restores the previous install).
smoke_test() {
  local dev out rc=0 cmd=("$PREFIX/bin/km" "$PREFIX/tests/hello_test.km" Hello World)
  if ! usable_device; then
    no_device_advice
    warn "no usable ${KVM_DEVICE} or ${KKM_DEVICE} here, so KM cannot run programs yet: ${ADVICE}; then check with: ${cmd[*]}"
    return 0
  fi
  dev=$DEVICE
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

# installed_release: INSTALLED is the release installed in the prefix (the release to use when none is named for
# a payload); refused when there is none.
installed_release() {
  [[ -f $PREFIX/$MARKER && ! -L $PREFIX/$MARKER ]] ||
    refuse "Kontain is not installed in ${PREFIX}: install it first (${PROG} [TAG])"
  first_line "$PREFIX/$MARKER"
  INSTALLED=$FIRST_LINE
}

do_install() {
  local arg=$1 network=1
  check_linux
  if [[ $arg == file://* ]]; then network=0; fi
  require_tools "$network"
  WORK=$(mktemp -d)
  if [[ -z $arg ]]; then
    default_tag
    arg=$DEFAULT_TAG
  fi
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
  local name=$1 arg=$2 network=1
  check_linux
  [[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || usage_error "invalid payload name '${name}' (e.g. python, node)"
  installed_release
  if [[ -z $arg ]]; then arg=$INSTALLED; fi
  if [[ $arg == file://* ]]; then network=0; fi
  require_tools "$network"
  WORK=$(mktemp -d)
  use_release "$arg"
  verify_signature
  check_prefix
  download_checked "kontain-${name}.tar.gz"
  install_payload "$WORK/kontain-${name}.tar.gz" "kontain-${name}.tar.gz"
  info "Installed the ${name} payload of Kontain ${RELEASE} in ${PREFIX}"
}

do_uninstall() {
  local name gone=()
  prefix_state
  case $STATE in
    absent | empty)
      info "Kontain is not installed in ${PREFIX}: nothing to do"
      return 0
      ;;
  esac
  refuse_foreign "$STATE"
  check_prefix
  # The marker goes last: an interrupted uninstall is still recognised as ours.
  entries "$PREFIX"
  for name in "${ENTRIES[@]}"; do
    if [[ $name != "$MARKER" ]]; then gone+=("${PREFIX:?}/$name"); fi
  done
  if [[ ${#gone[@]} -gt 0 ]]; then rm -rf -- "${gone[@]}"; fi
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
