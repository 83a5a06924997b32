/**
 * The host tools krel runs to build guest images and boot VMs, each with the Debian package that provides it
 * and why it is needed: one table for install hints (run-command) and for `krel doctor`.
 */
export interface HostTool {
  /** A command on PATH, or an absolute path for a file that is no command (firmware). */
  command: string;
  debianPackage: string;
  purpose: string;
}

/** Debian's UEFI firmware (package ovmf), which boots --vm-image cloud images. */
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';

export const VM_HOST_TOOLS: readonly HostTool[] = [
  { command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86', purpose: 'runs the validation VM' },
  { command: 'qemu-img', debianPackage: 'qemu-utils', purpose: 'creates the throwaway VM overlay' },
  {
    command: 'mmdebstrap',
    debianPackage: 'mmdebstrap',
    purpose: 'builds the guest image from Debian packages',
  },
  { command: 'mkfs.ext4', debianPackage: 'e2fsprogs', purpose: 'turns the guest tree into a disk image' },
  { command: 'ssh-keygen', debianPackage: 'openssh-client', purpose: 'makes the per-run SSH keys' },
  { command: 'setpriv', debianPackage: 'util-linux', purpose: 'ties qemu to krel (parent-death signal)' },
  { command: 'mformat', debianPackage: 'mtools', purpose: 'writes the cloud-init seed of --vm-image' },
  { command: 'mcopy', debianPackage: 'mtools', purpose: 'copies user-data into the cloud-init seed' },
  { command: OVMF_CODE, debianPackage: 'ovmf', purpose: 'UEFI firmware that boots --vm-image cloud images' },
];

/** The Debian package that provides `command` (the command itself when krel does not know it). */
export function debianPackageOf(command: string): string {
  return VM_HOST_TOOLS.find((t) => t.command === command)?.debianPackage ?? command;
}
