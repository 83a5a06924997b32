/** OpenSSH-style host key fingerprints: "SHA256:" + unpadded base64 of the sha256 of the key blob. */
import { createHash } from 'node:crypto';

export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** Accepts "SHA256:xxx" (as ssh-keygen -l prints it) and normalises padding; undefined if not a fingerprint. */
export function normaliseFingerprint(text: string): string | undefined {
  const m = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text.trim());
  return m === null ? undefined : `SHA256:${m[1]}`;
}

/** The SSH key type named inside a key blob (its first length-prefixed string), e.g. "ssh-ed25519". */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}
