/**
 * `krel images cleanup --tag T`: remove tag T from every image repository, leaving every other tag of the
 * same manifest alone. The distribution API deletes manifests only by digest, which drops every tag on it,
 * so T is first re-pointed at a throwaway manifest unique to this run (an empty image whose config names
 * the repository, tag and a nonce), and only that manifest is deleted.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ApplyError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { partialFailure } from './copy.js';
import { digestOf } from './layout.js';
import type { ImageTarget } from './target.js';
import {
  MEDIA,
  PLAN_VERSION,
  type ImageConfig,
  type ImageManifest,
  type Plan,
  type RawManifest,
} from './types.js';

export interface UntagAction {
  kind: 'untag';
  repo: string;
  tag: string;
  /** The manifest T pointed at when planned (its other tags stay). */
  digest: string;
}

export interface CleanupPlan extends Plan<'images-cleanup', UntagAction> {
  registry: string;
  tag: string;
  /** Repositories that do not carry the tag (nothing to do). */
  absent: string[];
}

export async function planCleanup(
  target: ImageTarget,
  repos: readonly string[],
  tag: string,
): Promise<CleanupPlan> {
  const actions: UntagAction[] = [];
  const absent: string[] = [];
  for (const name of [...new Set(repos)]) {
    const repo = target.repoOf(name);
    const m = await target.getManifest(repo, tag);
    if (m === undefined) absent.push(target.display(repo));
    else actions.push({ kind: 'untag', repo, tag, digest: m.digest });
  }
  return {
    version: PLAN_VERSION,
    kind: 'images-cleanup',
    registry: target.description,
    tag,
    absent,
    actions,
  };
}

/** An empty image unique to (repo, tag, nonce): its manifest is never shared with a real image. */
export function throwaway(repo: string, tag: string): { config: Buffer; manifest: RawManifest } {
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: {
      Labels: {
        'app.kontain.krel.untag': `${repo}:${tag}`,
        'app.kontain.krel.nonce': randomBytes(8).toString('hex'),
      },
    },
    rootfs: { type: 'layers', diff_ids: [] },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: digestOf(configBytes), size: configBytes.length },
    layers: [],
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { config: configBytes, manifest: { bytes, mediaType: MEDIA.manifest, digest: digestOf(bytes) } };
}

async function untag(target: ImageTarget, a: UntagAction): Promise<void> {
  const t = throwaway(a.repo, a.tag);
  await target.putBlob(a.repo, digestOf(t.config), t.config.length, () =>
    Promise.resolve(Readable.from([t.config])),
  );
  await target.putManifest(a.repo, a.tag, t.manifest);
  const now = await target.getManifest(a.repo, a.tag);
  if (now?.digest !== t.manifest.digest)
    throw new ApplyError(
      `${target.display(a.repo)}:${a.tag} changed while being removed (now ${now?.digest ?? 'absent'}): nothing was deleted; rerun`,
    );
  await target.deleteManifest(a.repo, t.manifest.digest);
}

export async function applyCleanup(
  plan: CleanupPlan,
  target: ImageTarget,
  logger: Logger,
): Promise<string[]> {
  const removed: string[] = [];
  for (const [i, a] of plan.actions.entries()) {
    try {
      await untag(target, a);
    } catch (e) {
      throw partialFailure(e, i, plan.actions.length);
    }
    removed.push(`${target.display(a.repo)}:${a.tag}`);
    logger.info(`removed ${target.display(a.repo)}:${a.tag} (${a.digest} keeps its other tags)`);
  }
  return removed;
}
