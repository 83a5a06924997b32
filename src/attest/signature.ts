/**
 * Raw signatures over bytes, as stock tools make and check them: Ed25519 (RFC 8032, `openssl pkeyutl -rawin`)
 * and ECDSA P-256 over SHA-256, DER-encoded (`openssl dgst -sha256 -signature`).
 */
import { sign, verify } from 'node:crypto';
import type { SigningKey } from './keys.js';

/** The digest node:crypto is told to use: none for Ed25519 (it hashes itself), SHA-256 for ECDSA. */
const digestOf = (k: Pick<SigningKey, 'algorithm'>): string | null =>
  k.algorithm === 'ed25519' ? null : 'sha256';

export function signBytes(data: Uint8Array, key: SigningKey): Buffer {
  return sign(digestOf(key), data, key.key);
}

/** Does `signature` sign `data` with `key` (a public key, or a private key's public half)? */
export function verifyBytes(data: Uint8Array, signature: Uint8Array, key: SigningKey): boolean {
  try {
    return verify(digestOf(key), data, key.key, signature);
  } catch {
    return false; // a malformed signature (e.g. not DER) does not verify
  }
}
