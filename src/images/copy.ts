/**
 * Copy images between targets: the plan (read-only) lists exactly the blobs the destination lacks and the
 * manifests to tag; a blob already placed in another repository of the destination is mounted, never sent
 * twice. Push is local store -> registry; pull is registry -> local store.
 */
import { ApplyError, KrelError, UsageError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { digestOf } from './layout.js';
import type { ImageTarget } from './target.js';
import { MEDIA, type Descriptor, type ImageIndex, type ImageManifest, type RawManifest } from './types.js';

interface BlobAction {
  /** Repository of the blob in the source (copy) or in the destination (mount). */
  from: string;
  repo: string;
  digest: string;
  size: number;
  mediaType: string;
}

export type CopyAction =
  | ({ kind: 'copy-blob' } & BlobAction)
  | ({ kind: 'mount-blob' } & BlobAction)
  | {
      kind: 'put-manifest';
      from: string;
      repo: string;
      tag: string;
      digest: string;
      mediaType: string;
      /** Docker schema 2 in the source, converted to OCI (an image layout holds OCI manifests only). */
      converted?: { from: string };
    };

export interface CopyRequest {
  /** Repository and tag (or digest) in the source. */
  from: string;
  ref: string;
  /** Destination repositories, each with its tags. */
  to: { repo: string; tags: string[] }[];
}

export interface ResolvedImage {
  manifest: RawManifest;
  blobs: Descriptor[];
}

const IMAGE_MANIFESTS = new Set<string>([MEDIA.manifest, MEDIA.dockerManifest]);
const INDEXES = new Set<string>([MEDIA.index, MEDIA.dockerList]);

/** The image manifest of repo:ref in the source (an index is narrowed to linux/amd64) and its blobs. */
export async function resolveImage(source: ImageTarget, repo: string, ref: string): Promise<ResolvedImage> {
  let m = await source.getManifest(repo, ref);
  if (m === undefined)
    throw new UsageError(
      `${source.display(repo)}:${ref} does not exist: check the name (or build or pull it first)`,
    );
  if (INDEXES.has(m.mediaType)) {
    const idx = JSON.parse(m.bytes.toString('utf8')) as ImageIndex;
    const pick =
      idx.manifests.find((d) => d.platform?.os === 'linux' && d.platform.architecture === 'amd64') ??
      idx.manifests[0];
    if (pick === undefined) throw new UsageError(`${source.display(repo)}:${ref} is an empty image index`);
    m = await source.getManifest(repo, pick.digest);
    if (m === undefined) throw new UsageError(`${source.display(repo)}@${pick.digest} does not exist`);
  }
  const parsed = JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
  const mediaType = m.mediaType !== '' ? m.mediaType : (parsed.mediaType ?? '');
  if (!IMAGE_MANIFESTS.has(mediaType))
    throw new UsageError(
      `${source.display(repo)}:${ref} is a ${mediaType || 'manifest of unknown type'}, not an image`,
    );
  return { manifest: { ...m, mediaType }, blobs: [parsed.config, ...parsed.layers] };
}

const OCI_TYPES: Readonly<Record<string, string>> = {
  [MEDIA.dockerConfig]: MEDIA.config,
  [MEDIA.dockerLayerGzip]: MEDIA.layerGzip,
};

/** A Docker schema 2 manifest as the equivalent OCI manifest (same config and layer blobs). */
export function toOci(m: RawManifest): RawManifest {
  if (m.mediaType !== MEDIA.dockerManifest) return m;
  const d = JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
  const desc = (x: Descriptor): Descriptor => ({
    mediaType: OCI_TYPES[x.mediaType] ?? x.mediaType,
    digest: x.digest,
    size: x.size,
  });
  const oci: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: desc(d.config),
    layers: d.layers.map(desc),
  };
  const bytes = Buffer.from(JSON.stringify(oci));
  return { bytes, mediaType: MEDIA.manifest, digest: digestOf(bytes) };
}

export async function planCopy(
  source: ImageTarget,
  dest: ImageTarget,
  requests: readonly CopyRequest[],
): Promise<{ actions: CopyAction[]; images: Map<CopyRequest, ResolvedImage> }> {
  const actions: CopyAction[] = [];
  const images = new Map<CopyRequest, ResolvedImage>();
  const placed = new Map<string, string>(); // digest -> a destination repository holding it (or about to)
  for (const req of requests) {
    const image = await resolveImage(source, req.from, req.ref);
    images.set(req, image);
    for (const to of req.to) {
      for (const b of image.blobs) {
        const blob = { repo: to.repo, digest: b.digest, size: b.size, mediaType: b.mediaType };
        const holder = placed.get(b.digest);
        if (holder === to.repo) continue;
        if (await dest.hasBlob(to.repo, b.digest)) {
          placed.set(b.digest, to.repo);
        } else if (holder !== undefined) {
          actions.push({ kind: 'mount-blob', from: holder, ...blob });
        } else {
          actions.push({ kind: 'copy-blob', from: req.from, ...blob });
          placed.set(b.digest, to.repo);
        }
      }
      const m = dest.ociOnly ? toOci(image.manifest) : image.manifest;
      for (const tag of to.tags)
        actions.push({
          kind: 'put-manifest',
          from: req.from,
          repo: to.repo,
          tag,
          digest: m.digest,
          mediaType: m.mediaType,
          ...(m !== image.manifest ? { converted: { from: image.manifest.digest } } : {}),
        });
    }
  }
  return { actions, images };
}

export interface CopyResult {
  /** Blobs sent (copy-blob, and mounts the destination turned down). */
  sent: number;
  mounted: number;
  tagged: string[];
}

/** Apply every action in order. A failure after the first action is an ApplyError saying how far it got. */
export async function applyCopy(
  actions: readonly CopyAction[],
  source: ImageTarget,
  dest: ImageTarget,
  logger: Logger,
): Promise<CopyResult> {
  const result: CopyResult = { sent: 0, mounted: 0, tagged: [] };
  for (const [i, a] of actions.entries()) {
    try {
      await applyOne(a, source, dest, logger, result);
    } catch (e) {
      throw partialFailure(e, i, actions.length);
    }
  }
  return result;
}

async function applyOne(
  a: CopyAction,
  source: ImageTarget,
  dest: ImageTarget,
  logger: Logger,
  result: CopyResult,
): Promise<void> {
  switch (a.kind) {
    case 'copy-blob':
      await dest.putBlob(a.repo, a.digest, a.size, () => source.openBlob(a.from, a.digest));
      result.sent++;
      logger.debug(`sent ${a.digest} (${a.size} bytes) to ${dest.display(a.repo)}`);
      return;
    case 'mount-blob':
      if (await dest.mountBlob(a.repo, a.digest, a.from)) {
        result.mounted++;
        return;
      }
      logger.warn(`${dest.description} did not mount ${a.digest} from ${a.from}: sending it`);
      await dest.putBlob(a.repo, a.digest, a.size, () => dest.openBlob(a.from, a.digest));
      result.sent++;
      return;
    case 'put-manifest': {
      const digest = a.converted?.from ?? a.digest;
      const found = await source.getManifest(a.from, digest);
      if (found === undefined)
        throw new ApplyError(`${source.display(a.from)}@${digest} vanished while copying`);
      const m = a.converted !== undefined ? toOci(found) : { ...found, mediaType: a.mediaType };
      if (m.digest !== a.digest)
        throw new ApplyError(`${source.display(a.from)}@${digest} changed while copying`);
      await dest.putManifest(a.repo, a.tag, m);
      result.tagged.push(`${dest.display(a.repo)}:${a.tag}`);
      logger.info(`${dest.display(a.repo)}:${a.tag} -> ${a.digest}`);
      return;
    }
  }
}

/** The first action failing changed nothing: its error stands. Later: exit 4, saying what is done. */
export function partialFailure(e: unknown, done: number, total: number): unknown {
  if (done === 0 || !(e instanceof KrelError)) return e;
  if (e instanceof ApplyError && e.message.includes(' actions were done')) return e;
  return new ApplyError(
    `${e.message}; ${done} of ${total} actions were done (rerun: what is in place is skipped)`,
    { cause: e },
  );
}
