/**
 * The publish domain functions over the release context: planPublish (preflight, read-only) and applyPublish
 * (run the plan). `krel publish` and the publish stage of `krel release` call these and nothing else.
 */
import type { ReleaseContext } from '../context/release-context.js';
import { appendStepSummary } from '../log/ci.js';
import { redact } from '../log/redact.js';
import { msFromEnv } from '../store/tuning.js';
import { applyPublishPlan, type PublishResult } from './apply.js';
import { gatherPublishFacts, type GatherOptions } from './facts.js';
import { buildPublishPlan } from './plan.js';
import type { PublishPlan } from './plan-types.js';
import { formatPublishSummary } from './render.js';
import type { RetryOptions } from '../util/retry.js';

export async function planPublish(ctx: ReleaseContext, o: GatherOptions = {}): Promise<PublishPlan> {
  const facts = await ctx.logger.section('preflight', () => gatherPublishFacts(ctx, o));
  const plan = buildPublishPlan(facts);
  for (const w of plan.warnings) ctx.logger.warn(w);
  return plan;
}

export async function applyPublish(ctx: ReleaseContext, plan: PublishPlan): Promise<PublishResult> {
  if (plan.action !== 'refuse') ctx.logger.info(`${plan.action} ${plan.tag} in ${plan.store}`);
  const result = await applyPublishPlan(plan, {
    store: ctx.store(),
    logger: ctx.logger,
    signal: ctx.signal,
    concurrency: ctx.config.release.uploadConcurrency,
    progress: !ctx.options.json,
    ...retryTuning(ctx.env),
  });
  appendStepSummary(redact(formatPublishSummary(result)), ctx.env);
  return result;
}

/** KREL_RETRY_BASE_MS shortens (or lengthens) the executor's backoff as it does the GitHub client's. */
function retryTuning(env: NodeJS.ProcessEnv): { verifyRetry?: RetryOptions } {
  const base = msFromEnv(env, 'KREL_RETRY_BASE_MS');
  if (base === undefined) return {};
  return { verifyRetry: { attempts: 5, baseMs: base } };
}
