/** Atomic file writes: a temporary file beside the target, flushed to disk, then renamed over it. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Creates `file` through a temporary file in its directory: fill(tmp) writes it, then it is fsynced and renamed
 * into place. Readers see the old content or the new one, never a part; when fill fails nothing is left behind.
 */
export async function replaceAtomic(file: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await fill(tmp);
    const fd = await open(tmp, 'r+');
    try {
      await fd.sync();
    } finally {
      await fd.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await replaceAtomic(file, (tmp) => writeFile(tmp, data, { flag: 'wx' }));
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
