/**
 * Atomic output: everything is written into a staging directory next to the output (same filesystem),
 * then swapped in with renames. An existing output is replaced only when it is proved to be krel's: it holds
 * krel's marker file and nothing but what its release-manifest.json lists, SHA256SUMS, its signature, the
 * provenance, the SBOM and the marker, all regular files. Anything else is refused and left exactly as it was.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RefusedError } from '../errors/index.js';
import { fsUsageError } from '../errors/fs-error.js';
import {
  MANIFEST_FILE,
  OUTPUT_MARKER,
  PROVENANCE_FILE,
  SBOM_FILE,
  SIG_FILE,
  SUMS_FILE,
  type ReleaseManifest,
} from './types.js';

/** What the marker holds; a file of that name with other content does not prove anything. */
export const OUTPUT_MARKER_TEXT =
  'krel make output: the next krel make replaces this directory whole; keep nothing else here\n';

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

async function inspect<T>(out: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw fsUsageError(e, `output ${out}`, 'write');
  }
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The names krel wrote into `out`, read from its marker and manifest; undefined when they do not prove it. */
async function krelNames(out: string): Promise<Set<string> | undefined> {
  const marker = path.join(out, OUTPUT_MARKER);
  if (!(await lstatOrUndefined(marker))?.isFile()) return undefined;
  if ((await readFile(marker, 'utf8')) !== OUTPUT_MARKER_TEXT) return undefined;
  const names = new Set([OUTPUT_MARKER, SUMS_FILE, MANIFEST_FILE, SIG_FILE, PROVENANCE_FILE, SBOM_FILE]);
  const manifest = path.join(out, MANIFEST_FILE);
  if (!(await lstatOrUndefined(manifest))?.isFile()) return names;
  try {
    const m = JSON.parse(await readFile(manifest, 'utf8')) as Partial<ReleaseManifest>;
    for (const a of [
      ...(Array.isArray(m.archives) ? m.archives : []),
      ...(Array.isArray(m.assets) ? m.assets : []),
    ]) {
      if (typeof a?.name === 'string') names.add(a.name);
    }
  } catch {
    return undefined; // a manifest krel did not write
  }
  return names;
}

/** Why `out` (an existing, non-empty directory) must not be replaced, or undefined when krel made it. */
async function foreignContent(out: string, entries: string[]): Promise<string | undefined> {
  const fix = 'remove it by hand or pass --out a new directory';
  const names = await krelNames(out);
  if (names === undefined) {
    return `exists and krel did not make it (no ${OUTPUT_MARKER} marker; an older krel wrote none): ${fix}`;
  }
  for (const name of entries.sort()) {
    const shown = JSON.stringify(name);
    if (!names.has(name))
      return `holds ${shown}, which krel did not write there: move it away or pass --out a new directory`;
    if (!(await lstat(path.join(out, name))).isFile()) {
      return `holds ${shown}, which is not a regular file (krel writes only files there): ${fix}`;
    }
  }
  return undefined;
}

/** Longest file name the usual file systems take (the staging name must fit next to the output). */
const NAME_MAX = 255;

/** Fail now, before anything is built or written, when the staging directory could not be made next to `out`. */
async function checkWritable(out: string): Promise<void> {
  const tooLong = Object.assign(new Error('staging name too long'), { code: 'ENAMETOOLONG' });
  if (Buffer.byteLength(path.basename(sibling(out, 'tmp'))) > NAME_MAX)
    throw fsUsageError(tooLong, `output ${out}`, 'write');
  let dir = path.dirname(out);
  while ((await inspect(out, () => lstatOrUndefined(dir))) === undefined && path.dirname(dir) !== dir)
    dir = path.dirname(dir);
  await inspect(out, () => access(dir, constants.W_OK | constants.X_OK));
}

/**
 * Refuse to replace anything krel cannot prove it made, and an output it could not write; an absent path or
 * an empty directory is fine. Read-only.
 */
export async function checkReplaceable(out: string): Promise<void> {
  const refuse = (why: string): RefusedError => new RefusedError(`output ${out} ${why}`);
  if (path.dirname(out) === out) throw refuse('is the file system root: pass --out DIR, e.g. dist');
  const st = await inspect(out, () => lstatOrUndefined(out));
  await checkWritable(out);
  if (st === undefined) return;
  if (st.isSymbolicLink()) {
    throw refuse('is a symlink: krel replaces only a directory it made; pass --out a new directory');
  }
  if (!st.isDirectory()) throw refuse('exists and is not a directory: remove it or pass --out DIR');
  const entries = await inspect(out, () => readdir(out));
  if (entries.length === 0) return;
  const problem = await inspect(out, () => foreignContent(out, entries));
  if (problem !== undefined) throw refuse(problem);
}

/** The staging directory next to `out`; any parent it had to create is removed again if that fails. */
export async function createStaging(out: string): Promise<string> {
  let made: string | undefined;
  try {
    made = await mkdir(path.dirname(out), { recursive: true });
    const dir = sibling(out, 'tmp');
    await mkdir(dir);
    return dir;
  } catch (e) {
    if (made !== undefined) await rm(made, { recursive: true, force: true });
    throw fsUsageError(e, `output ${out}`, 'write');
  }
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
