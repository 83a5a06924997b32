/**
 * The cloud-init NoCloud seed for a user-supplied image (--vm-image): a small FAT image labelled CIDATA holding
 * meta-data (a per-run instance-id, so cloud-init runs its per-instance modules on this boot) and user-data (the
 * user krel with passwordless sudo and the per-run authorized key, and the per-run SSH host key, so krel pins
 * it). Written with mtools (mformat, mcopy): no root, no loop device, no mount, no daemon. The seed holds a
 * private host key: it lives in the run directory only and goes with it.
 */
import { randomBytes } from 'node:crypto';
import { open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.js';

/** The volume label cloud-init's NoCloud data source looks for (vfat labels are upper case). */
export const SEED_LABEL = 'CIDATA';

/** Seed size: FAT12 of 1 MiB holds the two small files with room to spare. */
const SEED_BYTES = 1024 * 1024;

export interface NoCloudSeedInput {
  /** Per-run instance id, e.g. "krel-3f9a...". */
  instanceId: string;
  hostname: string;
  /** The user krel logs in as. */
  user: string;
  /** "ssh-ed25519 AAAA... comment": the only key that may log in. */
  authorizedKey: string;
  /** The guest's host key for this run (OpenSSH private key text) and its public line. */
  hostKey: { privateKey: string; publicKey: string };
}

export interface SeedFiles {
  'meta-data': string;
  'user-data': string;
}

export function newInstanceId(): string {
  return `krel-${randomBytes(8).toString('hex')}`;
}

/**
 * The seed's files (pure). user-data is "#cloud-config" followed by JSON, which is YAML: no YAML writer, and a
 * key's line breaks are escapes that no YAML indentation rule can break.
 */
export function seedFiles(o: NoCloudSeedInput): SeedFiles {
  const config = {
    users: [
      {
        name: o.user,
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: [o.authorizedKey],
      },
    ],
    disable_root: true,
    // /etc/hosts names the guest, so sudo resolves its own host name without DNS.
    manage_etc_hosts: true,
    ssh_pwauth: false,
    // The host key is the one krel made for this run (and pins): the image's own keys are deleted, and with
    // ssh_keys given cloud-init generates none.
    ssh_deletekeys: true,
    ssh_keys: { ed25519_private: o.hostKey.privateKey, ed25519_public: o.hostKey.publicKey },
  };
  return {
    'meta-data': `instance-id: ${o.instanceId}\nlocal-hostname: ${o.hostname}\n`,
    'user-data': `#cloud-config\n${JSON.stringify(config, null, 2)}\n`,
  };
}

/** Writes the seed image `file` (FAT, label CIDATA) with meta-data and user-data; scratch files go beside it. */
export async function writeNoCloudSeed(
  file: string,
  input: NoCloudSeedInput,
  signal?: AbortSignal,
): Promise<void> {
  const opts = signal !== undefined ? { signal } : {};
  const files = seedFiles(input);
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.truncate(SEED_BYTES);
  } finally {
    await handle.close();
  }
  await runCommand('mformat', ['-i', file, '-v', SEED_LABEL, '::'], opts);
  for (const name of ['meta-data', 'user-data'] as const) {
    const scratch = path.join(path.dirname(file), `.seed-${name}`);
    await writeFile(scratch, files[name], { mode: 0o600 });
    try {
      await runCommand('mcopy', ['-i', file, scratch, `::${name}`], opts);
    } finally {
      await rm(scratch, { force: true });
    }
  }
}
