/** `krel publish`: make dist/ a release, with the tag rules and nothing half-done ever visible. */
import path from 'node:path';
import { Command } from 'commander';
import { RefusedError } from '../../errors/index.js';
import { applyPublishPlan } from '../../publish/apply.js';
import { gatherPublishFacts } from '../../publish/facts.js';
import { buildPublishPlan } from '../../publish/plan.js';
import { formatPublishPlan, formatPublishSummary } from '../../publish/render.js';
import { appendStepSummary } from '../../log/ci.js';
import { redact } from '../../log/redact.js';
import type { RetryOptions } from '../../publish/retry.js';
import { createStore } from '../../store/index.js';
import { msFromEnv } from '../../store/tuning.js';
import { createContext, type CommandContext } from '../context.js';
import { abortController } from '../signals.js';

interface PublishFlags {
  store?: string;
  commit?: string;
  dist?: string;
}

async function run(ctx: CommandContext, flags: PublishFlags): Promise<void> {
  const config = await ctx.config();
  const store = createStore(config, ctx.env, ctx.logger, {
    ...(flags.store !== undefined ? { store: flags.store } : {}),
    cwd: ctx.cwd,
  });
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
      throw new RefusedError(plan.refusals[0] ?? 'refused', { details: plan.refusals.slice(1) });
    }
    return;
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
}

/** KREL_RETRY_BASE_MS shortens (or lengthens) the executor's backoff as it does the GitHub client's. */
function retryTuning(env: NodeJS.ProcessEnv): { uploadRetry?: RetryOptions; verifyRetry?: RetryOptions } {
  const base = msFromEnv(env, 'KREL_RETRY_BASE_MS');
  if (base === undefined) return {};
  return { uploadRetry: { attempts: 3, baseMs: base }, verifyRetry: { attempts: 5, baseMs: base } };
}

export function publishCommand(): Command {
  return new Command('publish')
    .description(
      'publish dist/ as the release of the tag (RELEASE_TAG, else the CI tag ref, else the default)',
    )
    .option('--store <spec>', '"github" or "dir:PATH" (default: krel.json release.store)')
    .option(
      '--commit <sha>',
      'commit to pin the release to (default: GITHUB_SHA, BUILD_SOURCEVERSION, git HEAD)',
    )
    .option('--dist <dir>', 'directory holding the assets and SHA256SUMS (default: krel.json "out")')
    .addHelpText(
      'after',
      `
Preflight (read-only): token and repository, tag rule, immutable releases, asset limits, every asset re-hashed
against SHA256SUMS. Then a draft pinned to the commit gets every asset (each verified by size and sha256);
only then is an existing release of a replace tag deleted, the tag moved and the draft published; finally
each public download is hashed. A rerun resumes krel's own leftover draft.
--dry-run prints the plan (--json: as JSON) and changes nothing; it exits 3 when the plan refuses.
Output: the release URL on stdout (--json: {url, id, tag, action, assets}).

Exit codes: 0 published (or planned); 2 bad tag, config or missing dist/; 3 refused (tag rule, draft not
made by krel, immutable release, missing or rejected token, dist/ not matching SHA256SUMS), nothing changed;
4 failed part-way (the message says what is left); 130 interrupted (draft deleted, old release untouched).`,
    )
    .action(async (flags: PublishFlags, cmd: Command) => {
      await run(createContext(cmd), flags);
    });
}
