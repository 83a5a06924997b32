/** `krel images build|pull`: flags -> release context -> plan (printed on --dry-run) -> apply -> printing. */
import { applyCopy, buildPlanJson, formatBuildPlan, formatPullPlan } from '../../images/index.js';
import {
  applyImagesBuild,
  imagesStoreRoot,
  planImagesBuild,
  planImagesPull,
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

export const access = (flags: ImagesFlags): RegistryAccess => ({
  plainHttp: flags.plainHttp === true,
  userAgent: `krel/${TOOL_VERSION}`,
});

export function show(io: CommandIo, plan: unknown, text: string): void {
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

/** Pull needs no krel.json: the store defaults to .krel-images beside it when there is one, else in cwd. */
export async function runImagesPull(io: CommandIo, refText: string, flags: ImagesFlags): Promise<void> {
  const config = await readConfig(io).catch(() => undefined);
  const planned = await planImagesPull(
    { env: io.env, cwd: io.cwd, signal: abortController.signal, dryRun: io.globals.dryRun },
    {
      ref: refText,
      root: imagesStoreRoot(config?.dir ?? io.cwd, io.cwd, flags.imagesStore),
      access: access(flags),
      ...(flags.as !== undefined ? { as: flags.as } : {}),
    },
  );
  if (io.globals.dryRun) return show(io, planned.plan, formatPullPlan(planned.plan));
  const result = await applyCopy(planned.plan.actions, planned.source, planned.store, io.logger);
  if (io.globals.json) io.printJson({ ...planned.plan, result });
  else io.print(`${planned.plan.ref} ${planned.plan.digest}`);
}
