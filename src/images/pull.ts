/**
 * `krel images pull REF`: an image from a registry (or layout) into the local store under a kontain/ name
 * (default: kontain/ + the repository's last part + the tag). No registry name is kept locally.
 */
import { UsageError } from '../errors/index.js';
import { planCopy, type CopyAction } from './copy.js';
import { isDigest, LOCAL_NAMESPACE, parseLocalRef, type PullRef } from './names.js';
import type { ImageTarget } from './target.js';
import { PLAN_VERSION, type Plan } from './types.js';

export interface PullPlan extends Plan<'images-pull', CopyAction> {
  source: string;
  ref: string;
  /** The manifest in the source, and as stored locally (differs when a Docker manifest became OCI). */
  sourceDigest: string;
  digest: string;
}

export function defaultLocalName(pull: PullRef): string {
  if (isDigest(pull.ref))
    throw new UsageError(`pulling by digest needs a local name: add --as ${LOCAL_NAMESPACE}/NAME:VERSION`);
  return `${LOCAL_NAMESPACE}/${pull.repo.split('/').pop()!}:${pull.ref}`;
}

export async function planPull(
  source: ImageTarget,
  pull: PullRef,
  store: ImageTarget,
  as: string | undefined,
): Promise<PullPlan> {
  const local = parseLocalRef(as ?? defaultLocalName(pull), '--as');
  const req = { from: pull.repo, ref: pull.ref, to: [{ repo: local.repo, tags: [local.tag] }] };
  const { actions, images } = await planCopy(source, store, [req]);
  return {
    version: PLAN_VERSION,
    kind: 'images-pull',
    source: `${source.display(pull.repo)}${isDigest(pull.ref) ? '@' : ':'}${pull.ref}`,
    ref: `${local.repo}:${local.tag}`,
    sourceDigest: images.get(req)!.manifest.digest,
    digest: actions.find((a) => a.kind === 'put-manifest')!.digest,
    actions,
  };
}
