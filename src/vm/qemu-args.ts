/**
 * The qemu command line for one run (pure). Direct kernel boot of a throwaway overlay with the guest's refresh
 * port (or, for a user's image, UEFI firmware booting the disk with a cloud-init seed drive: DiskBoot), virtio
 * disk and NIC, user networking with an OS-picked SSH forward on 127.0.0.1 (restricted unless the run needs the network), the SSH
 * keys in fw_cfg, serial console to a file, QMP on a unix socket, a pidfile, and no reboot (a panic ends qemu);
 * a restore adds -incoming (the rest must match the command line the state was saved with).
 */
import path from 'node:path';

/** A krel guest image: the kernel booted directly, the SSH keys in fw_cfg. */
export interface KernelBoot {
  kernel: string;
  initrd: string;
  /** The client public key (fw_cfg opt/krel/authorized_key). */
  authorizedKey: string;
  /** The guest's private host key (fw_cfg opt/krel/host_key). */
  hostKey: string;
  /** The FIFO pair of the virtio-serial port org.krel.refresh (guest-refresh.ts). */
  refreshPipe: string;
}

/** A disk with its own bootloader (--vm-image): UEFI firmware boots it; the keys come in the seed drive. */
export interface DiskBoot {
  disk: {
    /** Read-only firmware code and this run's copy of its variable store. */
    firmwareCode: string;
    firmwareVars: string;
    /** The cloud-init NoCloud seed image (read-only). */
    seed: string;
  };
}

export type QemuRunFiles = {
  overlay: string;
  serialLog: string;
  qmpSocket: string;
  pidFile: string;
} & (KernelBoot | DiskBoot);

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
    ...bootArgs(f),
    '-drive',
    `file=${f.overlay},if=virtio,format=qcow2,discard=unmap`,
    ...('disk' in f ? ['-drive', `file=${f.disk.seed},if=virtio,format=raw,readonly=on`] : []),
    '-netdev',
    `user,id=n0,restrict=${o.network ? 'off' : 'on'},hostfwd=tcp:127.0.0.1:0-:22`,
    '-device',
    'virtio-net-pci,netdev=n0',
    '-device',
    'virtio-rng-pci',
    '-qmp',
    `unix:${f.qmpSocket},server=on,wait=off`,
    '-pidfile',
    f.pidFile,
    ...(o.incoming !== undefined ? ['-incoming', o.incoming] : []),
  ];
}

/** Direct kernel boot with the keys in fw_cfg, or UEFI firmware (code read-only, this run's variables). */
function bootArgs(f: QemuRunFiles): string[] {
  if ('disk' in f) {
    return [
      '-drive',
      `if=pflash,format=raw,unit=0,readonly=on,file=${f.disk.firmwareCode}`,
      '-drive',
      `if=pflash,format=raw,unit=1,file=${f.disk.firmwareVars}`,
    ];
  }
  return [
    '-kernel',
    f.kernel,
    '-initrd',
    f.initrd,
    '-append',
    KERNEL_CMDLINE,
    '-fw_cfg',
    `name=opt/krel/authorized_key,file=${f.authorizedKey}`,
    '-fw_cfg',
    `name=opt/krel/host_key,file=${f.hostKey}`,
    '-device',
    'virtio-serial-pci,id=krelserial',
    '-chardev',
    `pipe,id=krelrefresh,path=${f.refreshPipe}`,
    '-device',
    'virtserialport,bus=krelserial.0,chardev=krelrefresh,name=org.krel.refresh',
  ];
}
