#!/bin/sh
# The sample's build: what `make` adds to a KM tree beyond the files git keeps.
#  - bin/krun-label-trigger, a hard link to bin/krun (git stores no hard links, so the build makes it,
#    as KM's install step does);
#  - out/kkm.run, the self-extracting KKM installer: kkm/installer.sh followed by a reproducible tar.gz of
#    kkm/module.
# Safe to run again and while another run is under way: each result is renamed into place.
set -eu
cd "$(dirname -- "$0")"
tmp=$$

ln -f build/bin/krun "build/bin/.krun-label-trigger.$tmp"
mv -f "build/bin/.krun-label-trigger.$tmp" build/bin/krun-label-trigger

mkdir -p out
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX -C kkm/module -cf - kkm.conf kkm.ko |
  gzip -n -9 >"out/.kkm.tgz.$tmp"
sum=$(sha256sum <"out/.kkm.tgz.$tmp" | cut -d' ' -f1)
sed "s/@PAYLOAD_SHA256@/$sum/" kkm/installer.sh | cat - "out/.kkm.tgz.$tmp" >"out/.kkm.run.$tmp"
rm -f "out/.kkm.tgz.$tmp"
chmod 0755 "out/.kkm.run.$tmp"
mv -f "out/.kkm.run.$tmp" out/kkm.run
echo "built build/bin/krun-label-trigger (hard link to krun) and out/kkm.run"
