/**
 * Signing keys made by openssl for the tests (Ed25519 and ECDSA P-256, PKCS#8 PEM, mode 0600), the public halves
 * as openssl writes them, and every form the private key could leak in (PEM body, raw bytes as hex and base64).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type KeyKind = 'ed25519' | 'ecdsa-p256';

export interface TestKey {
  kind: KeyKind;
  /** The private key file (PEM). */
  file: string;
  /** The public key file (PEM SubjectPublicKeyInfo), written by openssl. */
  pub: string;
  /** Strings that must never appear in any output or file: the PEM body and the raw private scalar. */
  secrets: string[];
  /** The raw private scalar, to look for in binary files. */
  raw: Buffer;
}

export const openssl = (args: string[], cwd?: string): string =>
  execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A key of `kind` in `dir`: NAME.pem and NAME.pub.pem, made with openssl genpkey. */
export function makeKey(dir: string, kind: KeyKind, name: string = kind): TestKey {
  const file = path.join(dir, `${name}.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  const algo =
    kind === 'ed25519'
      ? ['-algorithm', 'ed25519']
      : ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'];
  openssl(['genpkey', ...algo, '-out', file]);
  chmodSync(file, 0o600);
  openssl(['pkey', '-in', file, '-pubout', '-out', pub]);
  const pem = readFileSync(file, 'utf8');
  const body = pem
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('-----'))
    .join('');
  const d = createPrivateKey(pem).export({ format: 'jwk' }).d!;
  const raw = Buffer.from(d, 'base64url');
  return {
    kind,
    file,
    pub,
    raw,
    secrets: [
      body,
      ...pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')),
      raw.toString('hex'),
      raw.toString('base64'),
      d,
    ],
  };
}

/** The openssl command that checks a raw signature of `data` with `pub`, as the README shows it. */
export function opensslVerifyArgs(kind: KeyKind, pub: string, data: string, sig: string): string[] {
  return kind === 'ed25519'
    ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', data, '-sigfile', sig]
    : ['dgst', '-sha256', '-verify', pub, '-signature', sig, data];
}

/** Flip the lowest bit of byte `i` of `buf` (negative: from the end): a one-byte tampering. */
export function flipByte(buf: Buffer, i: number): void {
  const at = i < 0 ? buf.length + i : i;
  buf.writeUInt8(buf.readUInt8(at) ^ 1, at);
}
