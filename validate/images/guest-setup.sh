#!/bin/sh
# krel guest setup: run by mmdebstrap --customize-hook on the host with the root file system as $1.
# The image holds no key: the SSH authorized key and host key arrive per run through qemu fw_cfg.
set -eu
root="$1"

# The user krel: key login only, passwordless sudo.
chroot "$root" useradd --create-home --shell /bin/bash krel
chroot "$root" usermod --password '*' krel
printf 'krel ALL=(ALL) NOPASSWD:ALL\n' >"$root/etc/sudoers.d/krel"
chmod 0440 "$root/etc/sudoers.d/krel"

# fw_cfg in sysfs: /sys/firmware/qemu_fw_cfg/by_name/opt/krel/*/raw
printf 'qemu_fw_cfg\n' >"$root/etc/modules-load.d/krel.conf"

# sshd: the only host key is the one krel injects; the authorized key is read from fw_cfg at each login.
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/ssh/sshd_config.d/krel.conf" <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
AuthorizedKeysFile none
AuthorizedKeysCommand /usr/local/sbin/krel-authorized-keys %u
AuthorizedKeysCommandUser root
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
CONF
cat >"$root/usr/local/sbin/krel-authorized-keys" <<'SH'
#!/bin/sh
# Prints the public key krel passed for this boot (fw_cfg opt/krel/authorized_key) when the user is krel.
[ "$1" = krel ] || exit 0
exec cat /sys/firmware/qemu_fw_cfg/by_name/opt/krel/authorized_key/raw
SH
chmod 0755 "$root/usr/local/sbin/krel-authorized-keys"

cat >"$root/usr/local/sbin/krel-host-key" <<'SH'
#!/bin/sh
# Installs the SSH host key krel passed for this boot (fw_cfg opt/krel/host_key), so krel can pin it.
set -eu
src=/sys/firmware/qemu_fw_cfg/by_name/opt/krel/host_key/raw
key=/etc/ssh/ssh_host_ed25519_key
i=0
while [ ! -r "$src" ] && [ "$i" -lt 50 ]; do modprobe qemu_fw_cfg 2>/dev/null || true; sleep 0.1; i=$((i + 1)); done
umask 077
cat "$src" >"$key.tmp"
chmod 0600 "$key.tmp"
mv "$key.tmp" "$key"
ssh-keygen -y -f "$key" >"$key.pub"
echo "krel-guest: ssh host key $(ssh-keygen -l -f "$key.pub" | cut -d' ' -f2)" >/dev/console
SH
chmod 0755 "$root/usr/local/sbin/krel-host-key"
cat >"$root/etc/systemd/system/krel-host-key.service" <<'UNIT'
[Unit]
Description=Install the SSH host key passed by krel
DefaultDependencies=no
After=systemd-modules-load.service local-fs.target
Before=ssh.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/krel-host-key
RemainAfterExit=yes
[Install]
RequiredBy=ssh.service
UNIT
chroot "$root" systemctl enable krel-host-key.service

# Networking: qemu's user network is always 10.0.2.0/24 (guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3), so
# the address is static: no DHCP exchange to lose or wait for in a slow emulated guest (its SSH forward reaches
# 10.0.2.15 only once the address is up).
cat >"$root/etc/systemd/network/20-krel.network" <<'NET'
[Match]
Name=en* eth*
[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
DNS=10.0.2.3
LinkLocalAddressing=no
IPv6AcceptRA=no
NET
chroot "$root" systemctl enable systemd-networkd.service

# Say on the console when the address is up, or that it is not after a minute: a boot whose SSH never answers
# then shows why in the console tail krel reports.
cat >"$root/usr/local/sbin/krel-net-report" <<'SH'
#!/bin/sh
i=0
until ip -4 -o addr show | grep -q ' 10\.0\.2\.15/' || [ "$i" -ge 60 ]; do sleep 1; i=$((i + 1)); done
echo "krel-guest: network after ${i}s: $(ip -br addr show | tr -s ' ' | tr '\n' ';')" >/dev/console
SH
chmod 0755 "$root/usr/local/sbin/krel-net-report"
cat >"$root/etc/systemd/system/krel-net-report.service" <<'UNIT'
[Unit]
Description=Report the guest network on the console
After=systemd-networkd.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/krel-net-report
[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable krel-net-report.service
rm -f "$root/etc/resolv.conf"
printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"

# Fast boot: nothing waits for the network or a console login; no periodic jobs.
for unit in systemd-networkd-wait-online.service getty@tty1.service serial-getty@ttyS0.service \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer fstrim.timer e2scrub_all.timer \
  e2scrub_reap.service getty-static.service systemd-update-utmp-runlevel.service \
  dev-hugepages.mount dev-mqueue.mount sys-kernel-debug.mount sys-kernel-tracing.mount; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# A small initrd (only what finds the virtio root disk) unpacks faster under emulation.
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all

# Logs stay in memory; no graphical target.
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/krel.conf"
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"

printf 'krel-guest\n' >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 krel-guest\n' >"$root/etc/hosts"
printf '/dev/vda / ext4 defaults,noatime 0 0\n' >"$root/etc/fstab"
