/**
 * The images domain functions over the release context: where the local image store is, which registry a
 * command talks to, and plan/apply of build, push and cleanup. `krel images …` and the images stage of
 * `krel release` call these.
 */
import path from 'node:path';
import type { ReleaseContext } from '../context/release-context.js';
import { resolveSourceDate } from '../pack/source-date.js';
import { applyBuild, planBuild, type BuildPlan, type BuiltImage } from './build.js';
import { applyCleanup, planCleanup, type CleanupPlan } from './cleanup.js';
import { applyCopy, type CopyResult } from './copy.js';
import { ImageLayout } from './layout.js';
import { checkTag, imageRepo, parsePullRef, parseRegistry, type RegistrySpec } from './names.js';
import { planPull, type PullPlan } from './pull.js';
import { planPush, type PushPlan } from './push.js';
import { LayoutTarget, openTarget, type ImageTarget } from './target.js';

export interface RegistryAccess {
  /** --plain-http: talk http to the registry (a local one). */
  plainHttp: boolean;
  userAgent: string;
}

/** The local image store: --images-store (oci:PATH or PATH, relative to cwd), else .krel-images beside krel.json. */
export function imagesStoreRoot(dir: string, cwd: string, flag: string | undefined): string {
  if (flag === undefined) return path.join(dir, '.krel-images');
  const spec = parseRegistry(flag.startsWith('oci:') ? flag : `oci:${flag}`, '--images-store');
  return path.resolve(cwd, spec.kind === 'layout' ? spec.path : '');
}

export function openStoreTarget(root: string, create: boolean): Promise<LayoutTarget> {
  return ImageLayout.open(root, create).then((l) => new LayoutTarget(l, `oci:${root}`));
}

/** Opens a registry (or an oci: layout) for the context's environment and signal. */
export function registryOpener(
  ctx: Pick<ReleaseContext, 'env' | 'cwd' | 'signal'>,
  access: RegistryAccess,
  create: boolean,
): (spec: RegistrySpec) => Promise<ImageTarget> {
  return (spec) =>
    openTarget(spec, {
      env: ctx.env,
      cwd: ctx.cwd,
      plainHttp: access.plainHttp,
      userAgent: access.userAgent,
      create,
      signal: ctx.signal,
    });
}

export async function planImagesBuild(
  ctx: ReleaseContext,
  o: { root: string; names: string[]; rebuild: boolean; access: RegistryAccess },
): Promise<BuildPlan> {
  const { commit } = await ctx.commit();
  const { epoch } = await resolveSourceDate(ctx.env, ctx.config.dir);
  // Planned read-only: a store that does not exist yet is created only to apply.
  return planBuild({
    config: ctx.config,
    names: o.names,
    store: new ImageLayout(o.root),
    commit,
    epoch,
    rebuild: o.rebuild,
    openRegistry: registryOpener(ctx, o.access, false),
  });
}

export async function applyImagesBuild(
  ctx: ReleaseContext,
  plan: BuildPlan,
  o: { root: string; access: RegistryAccess },
): Promise<BuiltImage[]> {
  const { epoch } = await resolveSourceDate(ctx.env, ctx.config.dir);
  return applyBuild(plan, {
    store: await ImageLayout.open(o.root, true),
    epoch,
    logger: ctx.logger,
    openRegistry: registryOpener(ctx, o.access, false),
    signal: ctx.signal,
  });
}

/** A pull from a registry into the local image store (no release context: pull works without krel.json). */
export async function planImagesPull(
  env: { env: NodeJS.ProcessEnv; cwd: string; signal: AbortSignal; dryRun: boolean },
  o: { ref: string; root: string; as?: string; access: RegistryAccess },
): Promise<{ plan: PullPlan; source: ImageTarget; store: LayoutTarget }> {
  const pull = parsePullRef(o.ref);
  const store = env.dryRun
    ? new LayoutTarget(new ImageLayout(o.root), `oci:${o.root}`)
    : await openStoreTarget(o.root, true);
  const source = await registryOpener(env, o.access, false)(pull.registry);
  return { plan: await planPull(source, pull, store, o.as), source, store };
}

/** The tags a push gives each repository: --tag T alone, else latest and the commit. */
export async function pushTags(ctx: ReleaseContext, tag: string | undefined): Promise<string[]> {
  if (tag !== undefined) return [checkTag(tag, '--tag')];
  return ['latest', (await ctx.commit()).commit];
}

export interface PlannedPush {
  plan: PushPlan;
  store: LayoutTarget;
  target: ImageTarget;
}

export async function planImagesPush(
  ctx: ReleaseContext,
  o: { root: string; registry: string; names: string[]; tag?: string; access: RegistryAccess },
): Promise<PlannedPush> {
  const spec = parseRegistry(o.registry);
  const tags = await pushTags(ctx, o.tag);
  const store = await openStoreTarget(o.root, false);
  const target = await registryOpener(ctx, o.access, !ctx.options.dryRun)(spec);
  return { plan: await planPush({ config: ctx.config, names: o.names, store, target, tags }), store, target };
}

export async function applyImagesPush(ctx: ReleaseContext, p: PlannedPush): Promise<CopyResult> {
  const result = await applyCopy(p.plan.actions, p.store, p.target, ctx.logger);
  ctx.logger.info(
    `pushed ${p.plan.images.length} images: ${result.sent} blobs sent, ${result.mounted} mounted`,
  );
  return result;
}

export async function planImagesCleanup(
  ctx: ReleaseContext,
  o: { registry: string; tag: string; repos: string[]; access: RegistryAccess },
): Promise<{ plan: CleanupPlan; target: ImageTarget }> {
  const tag = checkTag(o.tag, '--tag');
  const repos = [...ctx.config.images.flatMap((i) => [imageRepo(i), ...i.aliases]), ...o.repos];
  const target = await registryOpener(ctx, o.access, false)(parseRegistry(o.registry));
  return { plan: await planCleanup(target, repos, tag), target };
}

export async function applyImagesCleanup(
  ctx: ReleaseContext,
  p: { plan: CleanupPlan; target: ImageTarget },
): Promise<string[]> {
  const removed = await applyCleanup(p.plan, p.target, ctx.logger);
  ctx.logger.info(`removed tag ${p.plan.tag} from ${removed.length} repositories`);
  return removed;
}
