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

# sshd: the only host key is the one krel injects; only krel logs in, with the key read from fw_cfg at each login
# (a restored VM gets this run's key through the new command line's fw_cfg). sshd reads that fw_cfg file itself,
# as krel, who owns it read-only (krel-host-key below): no program is started to look the key up.
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/ssh/sshd_config.d/krel.conf" <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
AllowUsers krel
AuthorizedKeysFile /sys/firmware/qemu_fw_cfg/by_name/opt/krel/authorized_key/raw
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
CONF
# A login runs no motd scripts: each program a login starts costs time in an emulated guest.
sed -i '/pam_motd\.so/d' "$root/etc/pam.d/sshd"

cat >"$root/usr/local/sbin/krel-host-key" <<'SH'
#!/bin/sh
# Installs the SSH host key krel passed for this boot (fw_cfg opt/krel/host_key), so krel can pin it, and gives
# krel the authorized key krel passed (opt/krel/authorized_key), read-only, for sshd to read as krel.
set -eu
authorized=/sys/firmware/qemu_fw_cfg/by_name/opt/krel/authorized_key/raw
src=/sys/firmware/qemu_fw_cfg/by_name/opt/krel/host_key/raw
key=/etc/ssh/ssh_host_ed25519_key
i=0
while [ ! -r "$src" ] && [ "$i" -lt 50 ]; do modprobe qemu_fw_cfg 2>/dev/null || true; sleep 0.1; i=$((i + 1)); done
umask 077
cat "$src" >"$key.tmp"
chmod 0600 "$key.tmp"
mv "$key.tmp" "$key"
ssh-keygen -y -f "$key" >"$key.pub"
chown krel:krel "$authorized"
chmod 0400 "$authorized"
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

# A VM restored from a saved state wakes up with the clock and RNG of the instant it was saved. krel-refresh waits
# on the virtio-serial port org.krel.refresh; right after a restore krel writes "refresh SECONDS NANOSECONDS HEX"
# there: the clock is set to that time and the hex bytes are mixed into the RNG before a forced reseed
# (RNDRESEEDCRNG). It answers "ok SECONDS.NANOSECONDS" (its clock after setting it) or "error WHAT". Being already
# running, it answers in milliseconds, while the SSH login is still under way.
cat >"$root/usr/local/sbin/krel-refresh" <<'PERL'
#!/usr/bin/perl
use strict;
use warnings;
my $port = '/dev/virtio-ports/org.krel.refresh';
my $n = 0;
sleep 1 until -e $port or ++$n > 60;
open(my $io, '+<', $port) or die "krel-refresh: $port: $!\n";
select((select($io), $| = 1)[0]);
sub answer { print $io "@_\n"; }
while (defined(my $line = <$io>)) {
  my ($s, $ns, $hex) = $line =~ /^refresh (\d+) (\d{1,9}) ([0-9a-f]{2,256})$/ or do { answer('error bad request'); next };
  # clock_settime(CLOCK_REALTIME), x86-64 system call 227
  syscall(227, 0, pack('q2', $s, $ns)) == 0 or do { answer("error clock_settime: $!"); next };
  my ($w, $r);
  open($w, '>', '/dev/urandom') and print($w pack('H*', $hex)) and close($w)
    or do { answer("error writing /dev/urandom: $!"); next };
  # RNDRESEEDCRNG
  open($r, '<', '/dev/urandom') and ioctl($r, 0x5207, 0) and close($r)
    or do { answer("error reseeding the RNG: $!"); next };
  my $ts = pack('q2', 0, 0);
  syscall(228, 0, $ts) == 0 or do { answer("error clock_gettime: $!"); next };
  my ($gs, $gns) = unpack('q2', $ts);
  answer(sprintf('ok %d.%09d', $gs, $gns));
}
# The port closed (the host end went away): systemd starts it again.
PERL
chmod 0755 "$root/usr/local/sbin/krel-refresh"
cat >"$root/etc/systemd/system/krel-refresh.service" <<'UNIT'
[Unit]
Description=Set the clock and reseed the RNG when krel restores this VM
[Service]
ExecStart=/usr/local/sbin/krel-refresh
Restart=always
RestartSec=1
[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable krel-refresh.service

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
