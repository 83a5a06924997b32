import path from 'node:path';
import type { KrelConfig } from '../../config/types.js';
import { UsageError } from '../../errors/index.js';
import { gatherPublishFacts } from '../../publish/facts.js';
import { buildPublishPlan, refusalError } from '../../publish/plan.js';
import { resolveTag, tagRule } from '../../tag/index.js';
import type { CommandContext } from '../context.js';
import { runPipeline, type Step } from '../pipeline.js';
import { abortController } from '../signals.js';
import { runMake } from './make-run.js';
import { runPublish } from './publish-run.js';
import { openStore } from './store-run.js';
import { runValidate, type ValidateFlags } from './validate-run.js';

/** Validation options pass through unchanged; the rest steer the pipeline. */
export interface ReleaseFlags extends Pick<
  ValidateFlags,
  'vm' | 'host' | 'identity' | 'knownHostKey' | 'knownHosts' | 'doc' | 'vmNetwork' | 'stepTimeout'
> {
  store?: string;
  commit?: string;
  out?: string;
  junitDir?: string;
}

/** The sub-steps log as usual but leave stdout to the pipeline (one JSON document, or the release URL). */
function stepContext(ctx: CommandContext, tag: string): CommandContext {
  return {
    ...ctx,
    env: { ...ctx.env, RELEASE_TAG: tag },
    globals: { ...ctx.globals, json: false },
    print: (text) => ctx.logger.info(text.trimEnd()),
    printJson: () => undefined,
  };
}

function storeSpec(config: KrelConfig, flag: string | undefined): string {
  if (flag !== undefined) return flag;
  return config.release.store.kind === 'github' ? 'github' : `dir:${config.release.store.root}`;
}

export async function runRelease(
  ctx: CommandContext,
  flags: ReleaseFlags,
  toolVersion: string,
): Promise<void> {
  const config = await ctx.config();
  const { tag, source } = resolveTag(ctx.env, config.release.defaultTag);
  const store = storeSpec(config, flags.store);
  const onVm = flags.host === undefined || flags.vm !== undefined;
  if (store === 'github' && onVm && !flags.vmNetwork) {
    throw new UsageError(
      'validating a GitHub release downloads from github.com, which the VM reaches only with --vm-network: add it',
    );
  }
  const out = flags.out !== undefined ? path.resolve(ctx.cwd, flags.out) : config.out;
  const junit = (name: string): { junit?: string } =>
    flags.junitDir !== undefined ? { junit: path.resolve(ctx.cwd, flags.junitDir, name) } : {};
  const sub = stepContext(ctx, tag);
  const validateFlags: ValidateFlags = {
    ...(onVm ? { vm: flags.vm ?? true } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.identity !== undefined ? { identity: flags.identity } : {}),
    ...(flags.knownHostKey !== undefined ? { knownHostKey: flags.knownHostKey } : {}),
    ...(flags.knownHosts !== undefined ? { knownHosts: flags.knownHosts } : {}),
    ...(flags.doc !== undefined ? { doc: flags.doc } : {}),
    vmNetwork: flags.vmNetwork,
    keep: false,
    concurrency: 2,
    sshTimeout: 180,
    ...(flags.stepTimeout !== undefined ? { stepTimeout: flags.stepTimeout } : {}),
  };
  ctx.logger.info(
    `release ${tag} (from ${source}, rule: ${tagRule(tag, config.release.replace)}) to ${store}`,
  );

  const result: Record<string, unknown> = { tag };
  const preflight: Step = {
    name: 'preflight: tag rule and store (read-only)',
    async run() {
      const facts = await gatherPublishFacts({
        config,
        env: sub.env,
        store: openStore(sub, config, store),
        logger: ctx.logger,
        signal: abortController.signal,
        rulesOnly: true,
        dist: out,
        ...(flags.commit !== undefined ? { commit: flags.commit } : {}),
      });
      const plan = buildPublishPlan(facts);
      for (const w of plan.warnings) ctx.logger.warn(w);
      if (plan.action === 'refuse') {
        throw refusalError(plan);
      }
      ctx.logger.info(`${plan.action} ${tag}: allowed by the tag rules`);
    },
  };
  /** What runs after the preflight; --dry-run lists it. */
  const later: Step[] = [
    {
      name: 'make',
      async run() {
        result.manifest = await runMake(sub, { out, level: 6, verify: true }, toolVersion);
      },
    },
    {
      name: 'validate dist',
      async run() {
        result.validateDist = await runValidate(sub, {
          ...validateFlags,
          dist: out,
          ...junit('validate-dist.xml'),
        });
      },
    },
    {
      name: 'publish',
      async run() {
        result.publish = await runPublish(sub, {
          store,
          dist: out,
          ...(flags.commit !== undefined ? { commit: flags.commit } : {}),
        });
      },
    },
    {
      name: 'validate release',
      async run() {
        result.validateRelease = await runValidate(sub, {
          ...validateFlags,
          release: tag,
          store,
          ...junit('validate-release.xml'),
        });
      },
    },
  ];
  if (ctx.globals.dryRun) {
    await runPipeline([preflight], ctx.logger);
    const names = later.map((s) => s.name);
    if (ctx.globals.json) ctx.printJson({ tag, store, steps: ['preflight', ...names] });
    else ctx.print(names.map((s) => `  would run: ${s}`).join('\n'));
    return;
  }
  result.steps = await runPipeline([preflight, ...later], ctx.logger);
  const url = (result.publish as { url?: string } | undefined)?.url;
  if (ctx.globals.json) ctx.printJson({ ...result, url });
  else if (url !== undefined) ctx.print(url);
}
