/**
 * Which key signs a release: `krel make --signing-key FILE`, else KREL_SIGNING_KEY (a path), else krel.json
 * sign.key; none: the release is not signed. The key is loaded here once, read-only, so that a key krel cannot
 * use fails the plan (exit 2) before anything is built; the plan keeps only its path, algorithm and id.
 */
import path from 'node:path';
import { loadSigningKey } from '../attest/keys.js';
import type { KrelConfig } from '../config/types.js';
import { UsageError } from '../errors/index.js';
import type { PlannedSigning } from './types.js';

export const SIGNING_KEY_ENV = 'KREL_SIGNING_KEY';

/** Where a signing key may be named, in order, as the one line that says so. */
export const SIGNING_KEY_SOURCES = `--signing-key, ${SIGNING_KEY_ENV} or krel.json sign.key`;

export function planSigning(
  config: Pick<KrelConfig, 'sign'>,
  env: NodeJS.ProcessEnv,
  cwd: string,
  cliKey?: string,
): PlannedSigning | undefined {
  const fromEnv = env[SIGNING_KEY_ENV];
  const named =
    cliKey !== undefined
      ? { file: path.resolve(cwd, cliKey), from: '--signing-key' }
      : fromEnv !== undefined && fromEnv !== ''
        ? { file: fromEnv, from: SIGNING_KEY_ENV }
        : config.sign.key !== undefined
          ? { file: config.sign.key, from: 'krel.json sign.key' }
          : undefined;
  if (named === undefined) return undefined;
  if (named.from === SIGNING_KEY_ENV) {
    // The value is never repeated: it may be the key itself, pasted where its path belongs.
    if (fromEnv!.includes('-----BEGIN') || fromEnv!.includes('\n'))
      throw new UsageError(
        `${SIGNING_KEY_ENV} holds a key, not a path: write the key to a file only you can read and set ${SIGNING_KEY_ENV} to its path`,
      );
    named.file = path.resolve(cwd, fromEnv!);
  }
  const key = loadSigningKey(
    named.file,
    named.from === SIGNING_KEY_ENV ? `the signing key ${SIGNING_KEY_ENV} names` : `signing key ${named.file}`,
  );
  return { keyFile: named.file, from: named.from, algorithm: key.algorithm, keyId: key.keyId };
}
