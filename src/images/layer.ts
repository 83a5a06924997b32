/**
 * One reproducible image layer from a payload: the same deterministic tar writer as `krel make`
 * (sorted members, owner 0/0, one fixed mtime, gzip without name or time), written into the image store.
 * Its digest is that of the gzip bytes; its diff_id, that of the tar bytes inside.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { sha256Stream } from '../checksums/index.js';
import type { PackEntry } from '../pack/types.js';
import { writeArchive } from '../pack/write-archive.js';
import type { ImageLayout } from './layout.js';
import { MEDIA, type Descriptor } from './types.js';

export interface Layer {
  descriptor: Descriptor;
  diffId: string;
}

export async function createLayer(
  store: ImageLayout,
  name: string,
  entries: PackEntry[],
  epoch: number,
  signal?: AbortSignal,
): Promise<Layer> {
  const tmp = store.tempFile();
  try {
    const bytes = entries.reduce((n, e) => n + e.size, 0);
    const rec = await writeArchive({ name, entries, bytes }, tmp, { epoch, ...(signal ? { signal } : {}) });
    const inner = await sha256Stream(createReadStream(tmp).pipe(createGunzip()), signal);
    const digest = `sha256:${rec.sha256}`;
    if (!(await store.hasBlob(digest))) await store.adoptBlob(tmp, digest);
    return {
      descriptor: { mediaType: MEDIA.layerGzip, digest, size: rec.size },
      diffId: `sha256:${inner.sha256}`,
    };
  } finally {
    await rm(tmp, { force: true });
  }
}
