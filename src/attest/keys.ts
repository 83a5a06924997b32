/**
 * Signing keys: a PEM file holding an Ed25519 or ECDSA P-256 key. The private key is read into a KeyObject and
 * never leaves it: nothing here returns, logs or serializes its bytes. What may be shown is the file's path,
 * the algorithm and the key id (sha256 of the public key's SubjectPublicKeyInfo).
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { unreadableReason } from '../errors/fs-error.js';
import { UsageError } from '../errors/index.js';

export type SigningAlgorithm = 'ed25519' | 'ecdsa-p256';

export interface SigningKey {
  /** The PEM file the key was read from. */
  file: string;
  algorithm: SigningAlgorithm;
  /** Lowercase hex sha256 of the public key (DER SubjectPublicKeyInfo). */
  keyId: string;
  /** The private key (sign) or the public key (verify). */
  key: KeyObject;
}

/** What keys krel takes, said once. */
const SUPPORTED = 'an Ed25519 or ECDSA P-256 key in PEM';

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const why = unreadableReason(e);
    throw new UsageError(`${what}: ${why}; give the path of ${SUPPORTED}`);
  }
}

function algorithmOf(key: KeyObject, what: string): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ecdsa-p256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const found = `${key.asymmetricKeyType ?? 'unknown'}${curve !== undefined ? ` ${curve}` : ''}`;
  throw new UsageError(`${what} is a ${found} key: krel signs with ${SUPPORTED}`);
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * Load the private key that signs a release (exit 2 with one line when it cannot be used). `what` names it in
 * ; a path read from the environment is not repeated, in case it holds a secret.
 */
export function loadSigningKey(file: string, what = `signing key ${file}`): SigningKey {
  const pem = readPem(file, what);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    // The error of node:crypto names no key material, but is not shown either: it says nothing more useful.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MISSING_PASSPHRASE')
      throw new UsageError(`${what} is encrypted: krel takes an unencrypted key file (mode 0600)`);
    throw new UsageError(`${what} holds no private key krel can read: give ${SUPPORTED}`);
  }
  const algorithm = algorithmOf(key, what);
  return { file, algorithm, keyId: keyIdOf(createPublicKey(key)), key };
}

/** Load a public key (a private key file is taken too: its public half is used). */
export function loadPublicKey(file: string): SigningKey {
  const what = `public key ${file}`;
  const pem = readPem(file, what);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new UsageError(`${what} holds no public key krel can read: give ${SUPPORTED}`);
  }
  const algorithm = algorithmOf(key, what);
  return { file, algorithm, keyId: keyIdOf(key), key };
}
