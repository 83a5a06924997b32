/**
 * `krel images push`: each image of the local store to its repository and every alias, as `latest` and the
 * commit SHA (or only --tag T). Nothing is tagged locally: the local store keeps only kontain/ names.
 */
import type { KrelConfig } from '../config/types.js';
import { UsageError } from '../errors/index.js';
import type { CopyAction } from './copy.js';
import { planCopy, type CopyRequest } from './copy.js';
import { imageRepo, localRepo } from './names.js';
import type { ImageTarget } from './target.js';
import { PLAN_VERSION, type Plan } from './types.js';

export interface PushPlan extends Plan<'images-push', CopyAction> {
  registry: string;
  tags: string[];
  images: { image: string; ref: string; digest: string; repos: string[] }[];
}

export interface PlanPushOptions {
  config: KrelConfig;
  names: readonly string[];
  store: ImageTarget;
  target: ImageTarget;
  tags: string[];
}

export async function planPush(o: PlanPushOptions): Promise<PushPlan> {
  const all = o.config.images.map(imageRepo);
  if (all.length === 0) throw new UsageError(`${o.config.file} lists no "images": nothing to push`);
  const unknown = o.names.filter((n) => !all.includes(n));
  if (unknown.length > 0)
    throw new UsageError(
      `no image named ${unknown.map((n) => `"${n}"`).join(', ')} in krel.json: known: ${all.join(', ')}`,
    );
  const requests: CopyRequest[] = o.config.images
    .filter((spec) => o.names.length === 0 || o.names.includes(imageRepo(spec)))
    .map((spec) => ({
      from: localRepo(spec),
      ref: spec.version,
      to: [imageRepo(spec), ...spec.aliases].map((r) => ({ repo: o.target.repoOf(r), tags: o.tags })),
    }));
  const { actions, images } = await planCopy(o.store, o.target, requests);
  return {
    version: PLAN_VERSION,
    kind: 'images-push',
    registry: o.target.description,
    tags: o.tags,
    images: requests.map((r) => ({
      image: r.from,
      ref: `${r.from}:${r.ref}`,
      digest: images.get(r)!.manifest.digest,
      repos: r.to.map((t) => o.target.display(t.repo)),
    })),
    actions,
  };
}
