/** `krel images …`: flags -> release context -> plan (printed on --dry-run) -> apply -> printing. */
import {
  applyCopy,
  buildPlanJson,
  formatBuildPlan,
  formatCleanupPlan,
  formatPullPlan,
  formatPushPlan,
  parsePullRef,
  planPull,
  LayoutTarget,
  ImageLayout,
} from '../../images/index.js';
import {
  applyImagesBuild,
  applyImagesCleanup,
  applyImagesPush,
  imagesStoreRoot,
  openStoreTarget,
  planImagesBuild,
  planImagesCleanup,
  planImagesPush,
  registryOpener,
  type RegistryAccess,
} from '../../images/images-release.js';
import { readConfig, releaseContext, type CommandIo } from '../context.js';
import { abortController } from '../signals.js';
import { TOOL_VERSION } from '../version.js';

export interface ImagesFlags {
  imagesStore?: string;
  registry?: string;
  plainHttp?: boolean;
  commit?: string;
  tag?: string;
  rebuild?: boolean;
  as?: string;
  repos?: string;
}

const access = (flags: ImagesFlags): RegistryAccess => ({
  plainHttp: flags.plainHttp === true,
  userAgent: `krel/${TOOL_VERSION}`,
});

function show(io: CommandIo, plan: unknown, text: string): void {
  if (io.globals.json) io.printJson(plan);
  else io.print(text);
}

export async function runImagesBuild(io: CommandIo, names: string[], flags: ImagesFlags): Promise<void> {
  const ctx = await releaseContext(io, flags);
  const o = { root: imagesStoreRoot(ctx.config.dir, io.cwd, flags.imagesStore), access: access(flags) };
  const plan = await planImagesBuild(ctx, { ...o, names, rebuild: flags.rebuild === true });
  if (io.globals.dryRun) return show(io, buildPlanJson(plan), formatBuildPlan(plan));
  const images = await applyImagesBuild(ctx, plan, o);
  if (io.globals.json) io.printJson({ ...(buildPlanJson(plan) as object), images });
  else for (const i of images) io.print(`${i.ref} ${i.digest}`);
}

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

/** Pull needs no krel.json: the store defaults to .krel-images beside it when there is one, else in cwd. */
export async function runImagesPull(io: CommandIo, refText: string, flags: ImagesFlags): Promise<void> {
  const pull = parsePullRef(refText);
  const config = await readConfig(io).catch(() => undefined);
  const root = imagesStoreRoot(config?.dir ?? io.cwd, io.cwd, flags.imagesStore);
  const store = io.globals.dryRun
    ? new LayoutTarget(new ImageLayout(root), `oci:${root}`)
    : await openStoreTarget(root, true);
  const open = registryOpener(
    { env: io.env, cwd: io.cwd, signal: abortController.signal },
    access(flags),
    false,
  );
  const source = await open(pull.registry);
  const plan = await planPull(source, pull, store, flags.as);
  if (io.globals.dryRun) return show(io, plan, formatPullPlan(plan));
  const result = await applyCopy(plan.actions, source, store, io.logger);
  if (io.globals.json) io.printJson({ ...plan, result });
  else io.print(`${plan.ref} ${plan.digest}`);
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
