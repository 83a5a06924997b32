/**
 * Per-run SSH keys made with ssh-keygen: the client key krel logs in with, and the guest's host key (injected
 * through fw_cfg, so its fingerprint is known before boot and pinned).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
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

export async function createKeyPair(dir: string, name: string, comment: string): Promise<KeyPair> {
  const privateKeyFile = path.join(dir, name);
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyFile]);
  const publicKeyFile = `${privateKeyFile}.pub`;
  const listing = await runCommand('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile]);
  const fingerprint = /\bSHA256:[A-Za-z0-9+/]+/.exec(listing)?.[0];
  if (fingerprint === undefined) throw new VmError(`ssh-keygen -l printed no fingerprint: ${listing.trim()}`);
  return {
    privateKeyFile,
    publicKeyFile,
    privateKey: await readFile(privateKeyFile),
    publicKey: (await readFile(publicKeyFile, 'utf8')).trim(),
    fingerprint,
  };
}

/** A known_hosts line pinning `publicKey` for host:port (OpenSSH's "[host]:port" form for non-22 ports). */
export function knownHostsLine(host: string, port: number, publicKey: string): string {
  const [type, blob] = publicKey.split(/\s+/);
  const where = port === 22 ? host : `[${host}]:${port}`;
  return `${where} ${type ?? ''} ${blob ?? ''}`;
}
