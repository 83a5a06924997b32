/**
 * Find a host's pinned key in OpenSSH known_hosts text (plain and hashed names, "[host]:port" for other ports).
 * When several keys are listed, the one ssh2 negotiates first is chosen (ed25519, then ecdsa, then rsa).
 */
import { createHmac } from 'node:crypto';
import { fingerprintOf } from './fingerprint.js';

export interface KnownHostKey {
  keyType: string;
  fingerprint: string;
  /** 1-based line in the file. */
  line: number;
}

const PREFERENCE = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];

function rank(keyType: string): number {
  const i = PREFERENCE.indexOf(keyType);
  return i === -1 ? PREFERENCE.length : i;
}

function nameMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (salt === undefined || hash === undefined) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  return pattern.split(',').some((p) => p === name);
}

/** How known_hosts names a host: plain on port 22, "[host]:port" otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function lookupKnownHost(text: string, host: string, port: number): KnownHostKey | undefined {
  const name = knownHostName(host, port);
  const found: KnownHostKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) return;
    const [names, keyType, blob] = line.split(/\s+/);
    if (names === undefined || keyType === undefined || blob === undefined) return;
    if (!nameMatches(names, name)) return;
    found.push({ keyType, fingerprint: fingerprintOf(Buffer.from(blob, 'base64')), line: i + 1 });
  });
  found.sort((a, b) => rank(a.keyType) - rank(b.keyType));
  return found[0];
}
