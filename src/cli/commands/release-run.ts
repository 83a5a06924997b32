/** `krel release`: flags -> release context -> the release pipeline (src/pipeline/release.ts) -> printing. */
import type { ReleaseContext } from '../../context/release-context.js';
import {
  checkReleaseOptions,
  preflightStage,
  releaseStages,
  type ReleaseOptions,
  type ReleaseResult,
} from '../../pipeline/release.js';
import { runStages } from '../../pipeline/run-stages.js';
import type { ValidationRequest } from '../../validate/validation-options.js';
import { releaseContext, type CommandIo } from '../context.js';
import { TOOL_VERSION } from '../version.js';

export interface ReleaseFlags extends Pick<
  ValidationRequest,
  'vm' | 'host' | 'identity' | 'knownHostKey' | 'knownHosts' | 'doc' | 'vmNetwork' | 'stepTimeout'
> {
  store?: string;
  commit?: string;
  out?: string;
  junitDir?: string;
  imagesRegistry?: string;
  imagesTag?: string;
  plainHttp?: boolean;
}

export async function runRelease(io: CommandIo, flags: ReleaseFlags): Promise<void> {
  const { store, commit, out, junitDir, imagesRegistry, imagesTag, plainHttp, ...validate } = flags;
  const ctx = await releaseContext(io, { store, commit });
  const options: ReleaseOptions = {
    out: out !== undefined ? io.resolve(out) : ctx.config.out,
    validate,
    images: {
      plainHttp: plainHttp === true,
      userAgent: `krel/${TOOL_VERSION}`,
      ...(imagesRegistry !== undefined ? { registry: imagesRegistry } : {}),
      ...(imagesTag !== undefined ? { tag: imagesTag } : {}),
    },
    ...(junitDir !== undefined ? { junitDir: io.resolve(junitDir) } : {}),
  };
  checkReleaseOptions(ctx, options);
  const { tag, source, rule } = ctx.tag;
  const where = ctx.storeSpec.kind === 'github' ? 'github' : `dir:${ctx.storeSpec.root}`;
  ctx.logger.info(`release ${tag} (from ${source}, rule: ${rule}) to ${where}`);
  const result: ReleaseResult = { tag };
  const later = releaseStages(result, options);
  if (io.globals.dryRun) {
    await runStages<ReleaseContext>([preflightStage(result, options)], ctx, ctx.logger);
    const names = later.map((s) => s.name);
    if (io.globals.json) io.printJson({ tag, store: where, steps: ['preflight', ...names] });
    else io.print(names.map((s) => `  would run: ${s}`).join('\n'));
    return;
  }
  const stages = await runStages([preflightStage(result, options), ...later], ctx, ctx.logger);
  if (io.globals.json) io.printJson({ ...result, steps: stages });
  else if (result.url !== undefined) io.print(result.url);
}
