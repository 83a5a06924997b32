#!/bin/sh
# kkm.run: installer of the Kontain Kernel Module, KKM (sample build). A self-extracting shell archive:
# this script, then a tar.gz of the module files after the line __KKM_PAYLOAD__.
#   sh kkm.run             install into $KKM_PREFIX (default /opt/kontain/kkm) and say what was installed
#   sh kkm.run --list      list the payload, install nothing
# The sample writes files only; it loads no module.
set -eu
KKM_VERSION=0.9.0
PAYLOAD_SHA256=@PAYLOAD_SHA256@
dest=${KKM_PREFIX:-/opt/kontain/kkm}

payload() {
  start=$(awk '/^__KKM_PAYLOAD__$/ { print NR + 1; exit }' "$0")
  tail -n +"$start" "$0"
}

sum=$(payload | sha256sum | cut -d' ' -f1)
if [ "$sum" != "$PAYLOAD_SHA256" ]; then
  echo "kkm.run: the payload is damaged (sha256 $sum, expected $PAYLOAD_SHA256): download kkm.run again" >&2
  exit 1
fi
case "${1:-}" in
  --list) payload | tar -tzf -; exit 0 ;;
  --version) echo "kkm.run ${KKM_VERSION} (sample build)"; exit 0 ;;
  '') ;;
  *) echo "usage: sh kkm.run [--list | --version]   (KKM_PREFIX=DIR installs there)" >&2; exit 2 ;;
esac
mkdir -p -- "$dest"
payload | tar --no-same-owner -xzf - -C "$dest"
for f in $(payload | tar -tzf -); do echo "kkm.run: installed $dest/$f"; done
echo "kkm.run: KKM ${KKM_VERSION} (sample module, not loaded) is in $dest"
exit 0
__KKM_PAYLOAD__
