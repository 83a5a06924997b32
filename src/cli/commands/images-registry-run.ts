/** `krel images push|cleanup`: the registry side, as flags -> release context -> plan -> apply -> printing. */
import { formatCleanupPlan, formatPushPlan } from '../../images/index.js';
import {
  applyImagesCleanup,
  applyImagesPush,
  imagesStoreRoot,
  planImagesCleanup,
  planImagesPush,
} from '../../images/images-release.js';
import { releaseContext, type CommandIo } from '../context.js';
import { access, show, type ImagesFlags } from './images-run.js';

export async function runImagesPush(io: CommandIo, names: string[], flags: ImagesFlags): Promise<void> {
  const ctx = await releaseContext(io, flags);
  const planned = await planImagesPush(ctx, {
    root: imagesStoreRoot(ctx.config.dir, io.cwd, flags.imagesStore),
    registry: flags.registry!,
    names,
    access: access(flags),
    ...(flags.tag !== undefined ? { tag: flags.tag } : {}),
  });
  if (io.globals.dryRun) return show(io, planned.plan, formatPushPlan(planned.plan));
  const result = await applyImagesPush(ctx, planned);
  if (io.globals.json) io.printJson({ ...planned.plan, result });
  else for (const t of result.tagged) io.print(t);
}

export async function runImagesCleanup(io: CommandIo, flags: ImagesFlags): Promise<void> {
  const ctx = await releaseContext(io);
  const repos = (flags.repos ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const planned = await planImagesCleanup(ctx, {
    registry: flags.registry!,
    tag: flags.tag!,
    repos,
    access: access(flags),
  });
  if (io.globals.dryRun) return show(io, planned.plan, formatCleanupPlan(planned.plan));
  const removed = await applyImagesCleanup(ctx, planned);
  if (io.globals.json) io.printJson({ ...planned.plan, removed });
  else for (const r of removed) io.print(r);
}
