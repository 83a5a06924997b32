/** `krel images ...`: resolve the store, registry, commit and source date once, then plan and apply. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KrelConfig } from '../../config/types.js';
import {
  ImageLayout,
  LayoutTarget,
  applyBuild,
  applyCleanup,
  applyCopy,
  buildPlanJson,
  checkTag,
  formatBuildPlan,
  formatCleanupPlan,
  formatPullPlan,
  formatPushPlan,
  imageRepo,
  openTarget,
  parsePullRef,
  parseRegistry,
  planBuild,
  planCleanup,
  planPull,
  planPush,
  type ImageTarget,
  type RegistrySpec,
} from '../../images/index.js';
import { resolveSourceDate } from '../../pack/source-date.js';
import { resolveCommit } from '../../context/commit.js';
import { readConfig, type CommandIo } from '../context.js';
import { abortController } from '../signals.js';

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

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function storeRoot(ctx: CommandIo, flags: ImagesFlags, config: KrelConfig | undefined): string {
  if (flags.imagesStore === undefined) return path.join(config?.dir ?? ctx.cwd, '.krel-images');
  const spec = parseRegistry(
    flags.imagesStore.startsWith('oci:') ? flags.imagesStore : `oci:${flags.imagesStore}`,
    '--images-store',
  );
  return path.resolve(ctx.cwd, spec.kind === 'layout' ? spec.path : '');
}

async function openStoreTarget(root: string, create: boolean): Promise<LayoutTarget> {
  return new LayoutTarget(await ImageLayout.open(root, create), `oci:${root}`);
}

function opener(ctx: CommandIo, flags: ImagesFlags, create: boolean) {
  return (spec: RegistrySpec): Promise<ImageTarget> =>
    openTarget(spec, {
      env: ctx.env,
      cwd: ctx.cwd,
      plainHttp: flags.plainHttp === true,
      userAgent: `krel/${VERSION}`,
      create,
      signal: abortController.signal,
    });
}

function show(ctx: CommandIo, plan: unknown, text: string): void {
  if (ctx.globals.json) ctx.printJson(plan);
  else ctx.print(text);
}

export async function runImagesBuild(ctx: CommandIo, names: string[], flags: ImagesFlags): Promise<void> {
  const config = await readConfig(ctx);
  const root = storeRoot(ctx, flags, config);
  const { commit } = await resolveCommit(flags.commit, ctx.env, config.dir);
  const { epoch } = await resolveSourceDate(ctx.env, config.dir);
  // Planned read-only: a store that does not exist yet is created only to apply.
  const store = new ImageLayout(root);
  const openRegistry = opener(ctx, flags, false);
  const plan = await planBuild({
    config,
    names,
    store,
    commit,
    epoch,
    rebuild: flags.rebuild === true,
    openRegistry,
  });
  if (ctx.globals.dryRun) return show(ctx, buildPlanJson(plan), formatBuildPlan(plan));
  const images = await applyBuild(plan, {
    store: await ImageLayout.open(root, true),
    epoch,
    logger: ctx.logger,
    openRegistry,
    signal: abortController.signal,
  });
  if (ctx.globals.json) ctx.printJson({ ...(buildPlanJson(plan) as object), images });
  else for (const i of images) ctx.print(`${i.ref} ${i.digest}`);
}

function pushTags(flags: ImagesFlags, commit: string | undefined): string[] {
  if (flags.tag !== undefined) return [checkTag(flags.tag, '--tag')];
  return ['latest', commit!];
}

export async function runImagesPush(ctx: CommandIo, names: string[], flags: ImagesFlags): Promise<void> {
  const config = await readConfig(ctx);
  const spec = parseRegistry(flags.registry!);
  const tags =
    flags.tag !== undefined
      ? pushTags(flags, undefined)
      : pushTags(flags, (await resolveCommit(flags.commit, ctx.env, config.dir)).commit);
  const store = await openStoreTarget(storeRoot(ctx, flags, config), false);
  const target = await opener(ctx, flags, !ctx.globals.dryRun)(spec);
  const plan = await planPush({ config, names, store, target, tags });
  if (ctx.globals.dryRun) return show(ctx, plan, formatPushPlan(plan));
  const result = await applyCopy(plan.actions, store, target, ctx.logger);
  ctx.logger.info(
    `pushed ${plan.images.length} images: ${result.sent} blobs sent, ${result.mounted} mounted`,
  );
  if (ctx.globals.json) ctx.printJson({ ...plan, result });
  else for (const t of result.tagged) ctx.print(t);
}

export async function runImagesPull(ctx: CommandIo, refText: string, flags: ImagesFlags): Promise<void> {
  const pull = parsePullRef(refText);
  const config = await readConfig(ctx).catch(() => undefined);
  const root = storeRoot(ctx, flags, config);
  const store = ctx.globals.dryRun
    ? new LayoutTarget(new ImageLayout(root), `oci:${root}`)
    : await openStoreTarget(root, true);
  const source = await opener(ctx, flags, false)(pull.registry);
  const plan = await planPull(source, pull, store, flags.as);
  if (ctx.globals.dryRun) return show(ctx, plan, formatPullPlan(plan));
  const result = await applyCopy(plan.actions, source, store, ctx.logger);
  if (ctx.globals.json) ctx.printJson({ ...plan, result });
  else ctx.print(`${plan.ref} ${plan.digest}`);
}

export async function runImagesCleanup(ctx: CommandIo, flags: ImagesFlags): Promise<void> {
  const config = await readConfig(ctx);
  const tag = checkTag(flags.tag!, '--tag');
  const spec = parseRegistry(flags.registry!);
  const extra = (flags.repos ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const repos = [...config.images.flatMap((i) => [imageRepo(i), ...i.aliases]), ...extra];
  const target = await opener(ctx, flags, false)(spec);
  const plan = await planCleanup(target, repos, tag);
  if (ctx.globals.dryRun) return show(ctx, plan, formatCleanupPlan(plan));
  const removed = await applyCleanup(plan, target, ctx.logger);
  ctx.logger.info(`removed tag ${tag} from ${removed.length} repositories`);
  if (ctx.globals.json) ctx.printJson({ ...plan, removed });
  else for (const r of removed) ctx.print(r);
}
