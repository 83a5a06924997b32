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
# Lexically normalised (no trailing slash, no . or ..), so that link targets can be compared with it.
PREFIX=$(realpath -m -s -- "${KONTAIN_PREFIX:-/opt/kontain}")
readonly PREFIX
# The install marker: written into the prefix by every install (it holds the release tag). A prefix is the
# installer's to replace only when it is empty or carries this marker.
readonly MARKER=.kontain-release
PROG=$(basename -- "${BASH_SOURCE[0]:-kontain-install.sh}")
readonly PROG

WORK=''          # private download directory
STAGE=''         # unpack directory inside the prefix (same file system, so entries move in by rename)
PREVIOUS=''      # where the entries being replaced wait until the new ones are in place
CREATED_PREFIX='' # set when this run created the prefix: removed again when the run fails
ROLLBACK=''      # the function that undoes a swap begun but not finished
cleanup() {
  local status=$1
  if [[ $status -ne 0 && -n $ROLLBACK ]] && ! "$ROLLBACK"; then
    echo "${PROG}: error: could not put ${PREFIX} back as it was: the replaced entries are in ${PREVIOUS}" >&2
    PREVIOUS=''
  fi
  if [[ -n $STAGE ]]; then rm -rf -- "$STAGE"; fi
  if [[ -n $PREVIOUS && -d $PREVIOUS ]]; then rm -rf -- "$PREVIOUS"; fi
  if [[ -n $WORK ]]; then rm -rf -- "$WORK"; fi
  if [[ $status -ne 0 && -n $CREATED_PREFIX ]]; then rmdir -- "$PREFIX" 2>/dev/null || true; fi
}
trap 'cleanup $?' EXIT
trap 'exit 130' INT TERM HUP

die() {
  echo "${PROG}: error: $*" >&2
  exit 1
}
# refuse MESSAGE: a rule says no; nothing has been changed.
refuse() {
  echo "${PROG}: error: $*" >&2
  exit 3
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
    first=$(find "$PREFIX/" -mindepth 1 -maxdepth 1 -printf '%f\n' -quit) || die "cannot read ${PREFIX}"
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
  local rel=$1 target=$2 depth=0 dir part leading=1
  if [[ $target == /* ]]; then
    [[ $target == "$PREFIX"/* ]] || return 1
    target=${target#"$PREFIX"/}
  else
    dir=$(dirname -- "$rel")
    while [[ $dir != . ]]; do
      depth=$((depth + 1))
      dir=$(dirname -- "$dir")
    done
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
  [[ -x $STAGE/bin/km && -f $STAGE/bin/km ]] || refuse "kontain.tar.gz of ${TAG} has no bin/km: refusing to install it"
  printf '%s\n' "$TAG" >"$STAGE/$MARKER"
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
  ROLLBACK=''
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
  install_payload "$WORK/kontain-${name}.tar.gz" "kontain-${name}.tar.gz"
  info "Installed the ${name} payload of Kontain ${TAG} in ${PREFIX}"
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
