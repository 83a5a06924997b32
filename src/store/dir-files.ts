/** Small file helpers for the local store: ids, tolerant reads, hashing copies. */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Sha256Tap } from '../checksums/index.js';

export function randomId(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** The parsed JSON in `file`, or undefined when it does not exist. */
export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface CopyResult {
  size: number;
  sha256: string;
}

/** Stream `from` to `to`, hashing on the way; reports progress and honours the abort signal. */
export async function copyHashing(
  from: string,
  to: string,
  onProgress?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<CopyResult> {
  const tap = new Sha256Tap(onProgress);
  await pipeline(createReadStream(from), tap, createWriteStream(to), signal ? { signal } : {});
  return { size: tap.size, sha256: tap.hex() };
}
