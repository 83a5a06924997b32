/**
 * The qemu command line for one run (pure). Direct kernel boot of a throwaway overlay, virtio disk and NIC, user
 * networking with an OS-picked SSH forward on 127.0.0.1 (restricted unless the run needs the network), the SSH
 * keys in fw_cfg, serial console to a file, QMP on a unix socket, a pidfile, and no reboot (a panic ends qemu);
 * a restore adds -incoming (the rest must match the command line the state was saved with).
 */
import path from 'node:path';

export interface QemuRunFiles {
  kernel: string;
  initrd: string;
  overlay: string;
  serialLog: string;
  qmpSocket: string;
  pidFile: string;
  /** The client public key (fw_cfg opt/krel/authorized_key). */
  authorizedKey: string;
  /** The guest's private host key (fw_cfg opt/krel/host_key). */
  hostKey: string;
}

export interface QemuArgsOptions {
  files: QemuRunFiles;
  /** Accelerator and CPU arguments, e.g. ["-accel", "tcg", "-cpu", "qemu64", "-smp", "2"]. */
  acceleratorArgs: readonly string[];
  memoryMiB: number;
  /** Let the guest reach the outside network (restrict=off). */
  network: boolean;
  /** Start waiting for a saved machine state ("defer": it is named later over QMP with migrate-incoming). */
  incoming?: string;
}

export const KERNEL_CMDLINE = 'root=/dev/vda rw console=ttyS0 loglevel=6 panic=-1';

/** Printed by every Linux kernel first; proves the guest CPU makes progress. */
export const KERNEL_BANNER = 'Linux version';

export function buildQemuArgs(o: QemuArgsOptions): string[] {
  const f = o.files;
  return [
    // The run directory's name (krel-vm-XXXXXX) names the VM: ps, pkill -f and qemu's own messages show it.
    '-name',
    path.basename(path.dirname(f.pidFile)),
    '-nodefaults',
    '-no-user-config',
    ...o.acceleratorArgs,
    '-m',
    String(o.memoryMiB),
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    `file:${f.serialLog}`,
    '-kernel',
    f.kernel,
    '-initrd',
    f.initrd,
    '-append',
    KERNEL_CMDLINE,
    '-drive',
    `file=${f.overlay},if=virtio,format=qcow2,discard=unmap`,
    '-netdev',
    `user,id=n0,restrict=${o.network ? 'off' : 'on'},hostfwd=tcp:127.0.0.1:0-:22`,
    '-device',
    'virtio-net-pci,netdev=n0',
    '-device',
    'virtio-rng-pci',
    '-fw_cfg',
    `name=opt/krel/authorized_key,file=${f.authorizedKey}`,
    '-fw_cfg',
    `name=opt/krel/host_key,file=${f.hostKey}`,
    '-qmp',
    `unix:${f.qmpSocket},server=on,wait=off`,
    '-pidfile',
    f.pidFile,
    ...(o.incoming !== undefined ? ['-incoming', o.incoming] : []),
  ];
}
