/**
 * Per-run SSH keys made with ssh-keygen: the client key krel logs in with, and the guest's host key (injected
 * through fw_cfg, so its fingerprint is known before boot and pinned).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fingerprintOf, knownHostName, type SshEndpoint } from '../ssh/index.js';
import type { AcceleratorCandidate } from './accelerator.js';
import { VmError } from './errors.js';
import { runCommand } from './run-command.js';

export interface KeyPair {
  privateKeyFile: string;
  publicKeyFile: string;
  privateKey: Buffer;
  /** "ssh-ed25519 AAAA... comment" */
  publicKey: string;
  /** "SHA256:..." as ssh-keygen -l prints it. */
  fingerprint: string;
}

/**
 * The comment of every client key: a restored guest reads the run's key through fw_cfg with the size it saw when
 * its state was saved, so the public key line must always have the same length (ed25519, this comment).
 */
export const CLIENT_KEY_COMMENT = 'krel@krel';

/** Guest user krel logs in as (created by validate/images/guest-setup.sh, passwordless sudo). */
export const GUEST_USER = 'krel';

/**
 * How krel reaches one of its VMs: the forwarded port on 127.0.0.1, the guest user, this run's key, the pinned host
 * key, and the ciphers the guest's CPU model runs fast (the accelerator's).
 */
export function guestEndpoint(
  port: number,
  client: KeyPair,
  hostKeyFingerprint: string,
  accelerator: AcceleratorCandidate,
): SshEndpoint {
  return {
    host: '127.0.0.1',
    port,
    username: GUEST_USER,
    privateKey: client.privateKey,
    hostKeyFingerprint,
    ...(accelerator.sshCiphers !== undefined ? { ciphers: accelerator.sshCiphers } : {}),
  };
}

export async function createKeyPair(dir: string, name: string, comment: string): Promise<KeyPair> {
  const privateKeyFile = path.join(dir, name);
  // A new pair each time: ssh-keygen refuses (exit 1) to replace the files a failed restore left in the run's
  // own directory before it cold boots.
  await Promise.all([rm(privateKeyFile, { force: true }), rm(`${privateKeyFile}.pub`, { force: true })]);
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyFile]);
  const publicKeyFile = `${privateKeyFile}.pub`;
  const publicKey = (await readFile(publicKeyFile, 'utf8')).trim();
  const blob = publicKey.split(/\s+/)[1];
  if (blob === undefined) throw new VmError(`${publicKeyFile} holds no key: ${publicKey}`);
  return {
    privateKeyFile,
    publicKeyFile,
    privateKey: await readFile(privateKeyFile),
    publicKey,
    fingerprint: fingerprintOf(Buffer.from(blob, 'base64')),
  };
}

/** A known_hosts line pinning `publicKey` for host:port. */
export function knownHostsLine(host: string, port: number, publicKey: string): string {
  const [type, blob] = publicKey.split(/\s+/);
  return `${knownHostName(host, port)} ${type ?? ''} ${blob ?? ''}`;
}
