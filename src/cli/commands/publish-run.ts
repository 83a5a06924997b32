/** `krel publish`: make dist/ a release, with the tag rules and nothing half-done ever visible. */
import path from 'node:path';
import { applyPublishPlan, type PublishResult } from '../../publish/apply.js';
import { gatherPublishFacts } from '../../publish/facts.js';
import { buildPublishPlan, refusalError } from '../../publish/plan.js';
import { formatPublishPlan, formatPublishSummary } from '../../publish/render.js';
import { appendStepSummary } from '../../log/ci.js';
import { redact } from '../../log/redact.js';
import type { RetryOptions } from '../../util/retry.js';
import { msFromEnv } from '../../store/tuning.js';
import type { CommandContext } from '../context.js';
import { openStore } from './store-run.js';
import { abortController } from '../signals.js';

export interface PublishFlags {
  store?: string;
  commit?: string;
  dist?: string;
}

export async function runPublish(
  ctx: CommandContext,
  flags: PublishFlags,
): Promise<PublishResult | undefined> {
  const config = await ctx.config();
  const store = openStore(ctx, config, flags.store);
  const facts = await ctx.logger.step('preflight', () =>
    gatherPublishFacts({
      config,
      env: ctx.env,
      store,
      logger: ctx.logger,
      signal: abortController.signal,
      ...(flags.commit !== undefined ? { commit: flags.commit } : {}),
      ...(flags.dist !== undefined ? { dist: path.resolve(ctx.cwd, flags.dist) } : {}),
    }),
  );
  const plan = buildPublishPlan(facts);
  for (const w of plan.warnings) ctx.logger.warn(w);
  if (ctx.globals.dryRun) {
    if (ctx.globals.json) ctx.printJson(plan);
    else ctx.print(formatPublishPlan(plan));
    if (plan.action === 'refuse') {
      throw refusalError(plan);
    }
    return undefined;
  }
  if (plan.action !== 'refuse') ctx.logger.info(`${plan.action} ${plan.tag} in ${plan.store}`);
  const result = await applyPublishPlan(plan, {
    store,
    logger: ctx.logger,
    signal: abortController.signal,
    concurrency: config.release.uploadConcurrency,
    progress: !ctx.globals.json,
    ...retryTuning(ctx.env),
  });
  appendStepSummary(redact(formatPublishSummary(result)), ctx.env);
  if (ctx.globals.json) ctx.printJson(result);
  else ctx.print(result.url);
  return result;
}

/** KREL_RETRY_BASE_MS shortens (or lengthens) the executor's backoff as it does the GitHub client's. */
function retryTuning(env: NodeJS.ProcessEnv): { verifyRetry?: RetryOptions } {
  const base = msFromEnv(env, 'KREL_RETRY_BASE_MS');
  if (base === undefined) return {};
  return { verifyRetry: { attempts: 5, baseMs: base } };
}
