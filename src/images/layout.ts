/**
 * An OCI image layout directory (image-spec "image-layout"): `oci-layout`, `index.json` whose manifests carry
 * `org.opencontainers.image.ref.name` = "REPO:TAG", and content-addressed `blobs/sha256/<hex>`. Blobs are
 * written to a temporary file, checked against their digest, then renamed: a blob file is always whole.
 * skopeo reads it as oci:PATH:REPO:TAG. It is the local image store and a push target (--registry oci:PATH).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Sha256Tap, compareBytes } from '../checksums/index.js';
import { ApplyError, UsageError } from '../errors/index.js';
import { randomId, readJson } from '../store/dir-files.js';
import { replaceAtomic, writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { MEDIA, REF_NAME, type Descriptor, type ImageIndex } from './types.js';

const LAYOUT_FILE = 'oci-layout';
const INDEX_FILE = 'index.json';

export function digestOf(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class ImageLayout {
  constructor(readonly root: string) {}

  /** Open a layout; `create` makes the directory and its two files when absent. */
  static async open(root: string, create: boolean): Promise<ImageLayout> {
    const layout = new ImageLayout(root);
    const marker = await readJson<{ imageLayoutVersion?: string }>(path.join(root, LAYOUT_FILE));
    if (marker === undefined) {
      if (!create)
        throw new UsageError(
          `${root} is not an OCI image layout (no oci-layout file): build or pull into it first`,
        );
      await mkdir(path.join(root, 'blobs', 'sha256'), { recursive: true });
      if ((await readJson(path.join(root, INDEX_FILE))) === undefined)
        await writeJsonAtomic(path.join(root, INDEX_FILE), {
          schemaVersion: 2,
          mediaType: MEDIA.index,
          manifests: [],
        });
      await writeJsonAtomic(path.join(root, LAYOUT_FILE), { imageLayoutVersion: '1.0.0' });
    } else if (marker.imageLayoutVersion !== '1.0.0') {
      throw new UsageError(
        `${root}/oci-layout: unsupported imageLayoutVersion ${String(marker.imageLayoutVersion)}`,
      );
    }
    return layout;
  }

  blobPath(digest: string): string {
    const [alg, hex] = digest.split(':');
    if (alg !== 'sha256' || hex === undefined || !/^[0-9a-f]{64}$/.test(hex))
      throw new ApplyError(`not a sha256 digest: "${digest}"`);
    return path.join(this.root, 'blobs', 'sha256', hex);
  }

  async hasBlob(digest: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(digest))).isFile();
    } catch {
      return false;
    }
  }

  openBlob(digest: string): Readable {
    return createReadStream(this.blobPath(digest));
  }

  async readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /** A temporary file inside the layout, renamed into place by adoptBlob. */
  tempFile(): string {
    return path.join(this.root, 'blobs', `.tmp-${randomId()}`);
  }

  /** Move a finished temporary file into place under its digest. */
  async adoptBlob(tmp: string, digest: string): Promise<void> {
    await rename(tmp, this.blobPath(digest));
  }

  /** Store a stream as the blob `digest`; refused (nothing kept) when the bytes do not match it. */
  async putBlobStream(digest: string, source: Readable, signal?: AbortSignal): Promise<void> {
    if (await this.hasBlob(digest)) {
      source.destroy();
      return;
    }
    await replaceAtomic(this.blobPath(digest), async (tmp) => {
      const tap = new Sha256Tap();
      await pipeline(source, tap, createWriteStream(tmp, { flags: 'wx' }), signal ? { signal } : {});
      const got = `sha256:${tap.hex()}`;
      if (got !== digest)
        throw new ApplyError(`blob ${digest} arrived with digest ${got}: nothing was stored`);
    });
  }

  async putBlobBytes(bytes: Buffer): Promise<string> {
    const digest = digestOf(bytes);
    if (!(await this.hasBlob(digest))) await writeFileAtomic(this.blobPath(digest), bytes);
    return digest;
  }

  async index(): Promise<ImageIndex> {
    const idx = await readJson<ImageIndex>(path.join(this.root, INDEX_FILE));
    return idx ?? { schemaVersion: 2, mediaType: MEDIA.index, manifests: [] };
  }

  async resolve(refName: string): Promise<Descriptor | undefined> {
    return (await this.index()).manifests.find((m) => m.annotations?.[REF_NAME] === refName);
  }

  /** Point refName at a manifest (replacing what it named before). */
  async setRef(refName: string, desc: Descriptor): Promise<void> {
    const idx = await this.index();
    const others = idx.manifests.filter((m) => m.annotations?.[REF_NAME] !== refName);
    const entry: Descriptor = {
      mediaType: desc.mediaType,
      digest: desc.digest,
      size: desc.size,
      annotations: { [REF_NAME]: refName },
    };
    await this.writeIndex({ ...idx, manifests: [...others, entry] });
  }

  /** Drop the names pointing at `digest` that `keep` does not keep; returns how many were dropped. */
  async dropRefs(digest: string, keep: (refName: string) => boolean): Promise<number> {
    const idx = await this.index();
    const kept = idx.manifests.filter((m) => m.digest !== digest || keep(m.annotations?.[REF_NAME] ?? ''));
    await this.writeIndex({ ...idx, manifests: kept });
    return idx.manifests.length - kept.length;
  }

  private async writeIndex(idx: ImageIndex): Promise<void> {
    const manifests = [...idx.manifests].sort((a, b) =>
      compareBytes(a.annotations?.[REF_NAME] ?? '', b.annotations?.[REF_NAME] ?? ''),
    );
    await writeJsonAtomic(path.join(this.root, INDEX_FILE), {
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests,
    });
  }
}
