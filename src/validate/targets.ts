/**
 * The targets of a run: qemu VMs (--vm recipes, `all` for every one; --vm-image cloud images) and existing hosts
 * (--host), each with its provider.
 */
import path from 'node:path';
import { UsageError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { describeEndpoint } from '../ssh/index.js';
import { listRecipes } from '../vm/image-recipe.js';
import { createQemuProvider } from '../vm/qemu-provider.js';
import { inspectUserImage } from '../vm/user-image.js';
import { createSshHostProvider } from '../vm/ssh-host.js';
import { hostEndpoint, type HostKeyOptions } from './host-spec.js';
import type { TargetSpec } from './validate.js';

export interface TargetOptions {
  /** Guest images, e.g. ["debian-12", "debian-11"]. */
  vm?: readonly string[];
  /** Cloud image files (--vm-image), absolute; each target is named after its file. */
  vmImages?: readonly string[];
  /** VMs boot from scratch instead of restoring their image's saved machine state. */
  coldBoot?: boolean;
  hosts?: readonly string[];
  identity?: string;
  hostKeys: HostKeyOptions;
  logger: Logger;
}

export function parseImageList(value: string): string[] {
  const images = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = images.find((i) => !/^[a-z0-9.-]+$/.test(i));
  if (bad !== undefined || images.length === 0) {
    throw new UsageError(`--vm ${value}: expected image names such as debian-12,debian-11, or all`);
  }
  return images;
}

/** The word that stands for every guest recipe (validate/images/*.json). */
export const ALL_IMAGES = 'all';

/** Image names with `all` replaced by every recipe, each name once, in order. */
export function expandImageList(images: readonly string[], recipes: () => string[] = listRecipes): string[] {
  const known = recipes();
  const out = images.flatMap((i) => (i === ALL_IMAGES ? known : [i]));
  const unknown = out.find((i) => !known.includes(i));
  if (unknown !== undefined) {
    throw new UsageError(`--vm ${unknown}: no such guest image (known: ${known.join(', ')}, or all)`);
  }
  return [...new Set(out)];
}

export async function buildTargets(opts: TargetOptions): Promise<TargetSpec[]> {
  const targets: TargetSpec[] = [];
  for (const image of expandImageList(opts.vm ?? [])) {
    targets.push({
      name: image,
      kind: 'vm',
      provider: createQemuProvider({
        image,
        coldBoot: opts.coldBoot ?? false,
        logger: opts.logger.child(`[${image}] `),
      }),
    });
  }
  for (const file of opts.vmImages ?? []) {
    const userImage = await inspectUserImage(file, process.cwd());
    const name = path.basename(userImage);
    targets.push({
      name,
      kind: 'vm',
      provider: createQemuProvider({ userImage, logger: opts.logger.child(`[${name}] `) }),
    });
  }
  for (const host of opts.hosts ?? []) {
    const endpoint = await hostEndpoint(host, opts.identity, opts.hostKeys);
    const name = describeEndpoint(endpoint);
    targets.push({ name, kind: 'host', provider: createSshHostProvider({ name, endpoint }) });
  }
  if (targets.length === 0) {
    throw new UsageError(
      'no target: pass --vm [images] for a fresh local VM, --vm-image FILE for a cloud image, or --host user@host --identity KEY',
    );
  }
  const names = targets.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new UsageError(
      `target ${dup} is named twice: each target needs its own name (rename one --vm-image file, or drop a repeated --host)`,
    );
  return targets;
}
