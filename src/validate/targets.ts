/** The targets of a run: qemu VMs (--vm images) and existing hosts (--host), each with its provider. */
import { UsageError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { describeEndpoint } from '../ssh/index.js';
import { createQemuProvider } from '../vm/qemu-provider.js';
import { createSshHostProvider } from '../vm/ssh-host.js';
import { hostEndpoint, type HostKeyOptions } from './host-spec.js';
import type { TargetSpec } from './validate.js';

export interface TargetOptions {
  /** Guest images, e.g. ["debian-12", "debian-11"]. */
  vm?: readonly string[];
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
    throw new UsageError(`--vm ${value}: expected image names such as debian-12,debian-11`);
  }
  return images;
}

export async function buildTargets(opts: TargetOptions): Promise<TargetSpec[]> {
  const targets: TargetSpec[] = [];
  for (const image of opts.vm ?? []) {
    targets.push({
      name: image,
      provider: createQemuProvider({ image, logger: opts.logger.child(`[${image}] `) }),
    });
  }
  for (const host of opts.hosts ?? []) {
    const endpoint = await hostEndpoint(host, opts.identity, opts.hostKeys);
    const name = describeEndpoint(endpoint);
    targets.push({ name, provider: createSshHostProvider({ name, endpoint }) });
  }
  if (targets.length === 0) {
    throw new UsageError(
      'no target: pass --vm [images] for a fresh local VM, or --host user@host --identity KEY',
    );
  }
  const names = targets.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`target ${dup} is named twice`);
  return targets;
}
