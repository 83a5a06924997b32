/**
 * Atomic output: everything is written into a staging directory next to the output (same filesystem),
 * then swapped in with renames. An existing output is replaced only if it looks like krel made it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { RefusedError } from '../errors/index.js';
import { MANIFEST_FILE } from './types.js';

function sibling(out: string, what: 'tmp' | 'old'): string {
  return path.join(
    path.dirname(out),
    `.${path.basename(out)}.${what}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/** Staging and retired directories of `out` (never packaged). */
export function isStagingOf(out: string, abs: string): boolean {
  if (abs === out || abs.startsWith(out + path.sep)) return true;
  const rel = path.relative(path.dirname(out), abs);
  return rel.startsWith(`.${path.basename(out)}.tmp-`) || rel.startsWith(`.${path.basename(out)}.old-`);
}

/** Refuse to replace a directory krel did not make (no release-manifest.json, not empty). */
export async function checkReplaceable(out: string): Promise<void> {
  let names: string[];
  try {
    const st = await stat(out);
    if (!st.isDirectory())
      throw new RefusedError(`output ${out} exists and is not a directory: remove it or pass --out DIR`);
    names = await readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (names.length > 0 && !names.includes(MANIFEST_FILE)) {
    throw new RefusedError(
      `output ${out} exists and was not made by krel (no ${MANIFEST_FILE}): remove it or pass --out DIR`,
    );
  }
}

export async function createStaging(out: string): Promise<string> {
  await mkdir(path.dirname(out), { recursive: true });
  const dir = sibling(out, 'tmp');
  await mkdir(dir);
  return dir;
}

/** Move the staged output into place: old output aside, new one in, old one deleted. */
export async function commitStaging(staging: string, out: string): Promise<void> {
  const old = sibling(out, 'old');
  let moved = false;
  try {
    await rename(out, old);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await rename(staging, out);
  } catch (e) {
    if (moved) await rename(old, out);
    throw e;
  }
  if (moved) await rm(old, { recursive: true, force: true });
}

export async function discardStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}
