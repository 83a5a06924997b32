/**
 * A user-supplied cloud image (--vm-image FILE): any disk image whose OS has cloud-init. It is never written:
 * each run boots a throwaway qcow2 overlay on it, with UEFI firmware (OVMF: code read-only, a per-run copy of
 * the variable store) booting the disk's own bootloader, and a NoCloud seed drive carrying the per-run keys.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors/index.js';
import { VmError } from './errors.js';
import type { GuestDisk } from './guest-disk.js';
import { newInstanceId, writeNoCloudSeed } from './nocloud-seed.js';
import { runCommand } from './run-command.js';
import { OVMF_CODE } from './tools.js';

/** UEFI firmware (code, variable store template), in the places Debian/Ubuntu, Fedora and Arch install OVMF. */
export const OVMF_CANDIDATES: readonly (readonly [string, string])[] = [
  [OVMF_CODE, '/usr/share/OVMF/OVMF_VARS_4M.fd'],
  ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'],
  ['/usr/share/edk2/ovmf/OVMF_CODE.fd', '/usr/share/edk2/ovmf/OVMF_VARS.fd'],
  ['/usr/share/edk2/x64/OVMF_CODE.4m.fd', '/usr/share/edk2/x64/OVMF_VARS.4m.fd'],
];

/** The first installed OVMF pair; undefined when there is none. */
export function findUefiFirmware(
  candidates: readonly (readonly [string, string])[] = OVMF_CANDIDATES,
): { code: string; vars: string } | undefined {
  const found = candidates.find(([code, vars]) => existsSync(code) && existsSync(vars));
  return found === undefined ? undefined : { code: found[0], vars: found[1] };
}

/** A target name is the image's file name; it appears in log prefixes and report file names. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Checks a --vm-image argument where it enters (exit 2 with one line): an existing, readable regular file whose
 * name can name a target. Returns its absolute path.
 */
export function checkUserImage(file: string, cwd: string): string {
  const abs = path.resolve(cwd, file);
  let isFile: boolean;
  try {
    isFile = statSync(abs).isFile();
    accessSync(abs, constants.R_OK);
  } catch {
    throw new UsageError(
      `--vm-image ${file}: no such readable file (give the path of a cloud image, e.g. a .qcow2)`,
    );
  }
  if (!isFile)
    throw new UsageError(`--vm-image ${file}: not a file (give the path of a cloud image, e.g. a .qcow2)`);
  if (!NAME.test(path.basename(abs))) {
    throw new UsageError(
      `--vm-image ${file}: the file name names the target, so it may hold only letters, digits and . _ + - (rename or symlink it)`,
    );
  }
  return abs;
}

interface ImageInfo {
  format: string;
}

/**
 * The image's format as qemu-img sees it (read-only, shared lock: works while another qemu uses the file). A
 * "raw" file without a partition table's boot signature is no disk image (exit 2).
 */
export async function imageFormat(file: string, signal?: AbortSignal): Promise<string> {
  const out = await runCommand('qemu-img', ['info', '-U', '--output=json', file], {
    ...(signal !== undefined ? { signal } : {}),
  });
  const info = JSON.parse(out) as ImageInfo;
  if (info.format === 'raw' && !(await hasBootSignature(file))) {
    throw new UsageError(
      `--vm-image ${file}: not a disk image (no partition table; give a cloud image such as a .qcow2)`,
    );
  }
  return info.format;
}

/** MBR and GPT disks (GPT keeps a protective MBR) end their first sector with 55 AA. */
async function hasBootSignature(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const sector = Buffer.alloc(512);
    const { bytesRead } = await handle.read(sector, 0, 512, 0);
    return bytesRead === 512 && sector[510] === 0x55 && sector[511] === 0xaa;
  } finally {
    await handle.close();
  }
}

/** Checks a --vm-image argument before anything boots (exit 2): the file, its name, its format. */
export async function inspectUserImage(file: string, cwd: string, signal?: AbortSignal): Promise<string> {
  const abs = checkUserImage(file, cwd);
  await imageFormat(abs, signal);
  return abs;
}

/** The guest disk for a user image: qemu-img tells its format; the boot files are written per run. */
export async function openUserImage(file: string, user: string, signal?: AbortSignal): Promise<GuestDisk> {
  const format = await imageFormat(file, signal);
  const firmware = findUefiFirmware();
  if (firmware === undefined) {
    throw new VmError(
      `--vm-image boots the image with UEFI firmware, and none is installed: apt-get install -y ovmf (looked for ${OVMF_CANDIDATES.map(([c]) => c).join(', ')})`,
    );
  }
  return {
    name: path.basename(file),
    backing: file,
    backingFormat: format,
    description: `${path.basename(file)} (${format}, UEFI, cloud-init NoCloud seed)`,
    bootFiles: async ({ dir }, keys) => {
      const firmwareVars = path.join(dir, 'efivars.fd');
      await copyFile(firmware.vars, firmwareVars);
      const seed = path.join(dir, 'seed.img');
      await writeNoCloudSeed(
        seed,
        {
          instanceId: newInstanceId(),
          hostname: 'krel-guest',
          user,
          authorizedKey: keys.client.publicKey,
          hostKey: { privateKey: keys.host.privateKey.toString('utf8'), publicKey: keys.host.publicKey },
        },
        signal,
      );
      return { disk: { firmwareCode: firmware.code, firmwareVars, seed } };
    },
  };
}
