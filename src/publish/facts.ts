/** Preflight: gather every fact the planner needs. Read-only: not one write request is made here. */
import type { ReleaseContext } from '../context/release-context.js';
import { msFromEnv } from '../store/tuning.js';
import { DEFAULT_LEASE_MS, newRun } from './lease.js';
import { gatherLocalAssets } from './local-assets.js';
import { isForTag } from './marker.js';
import { readNotesFile } from './notes.js';
import type { PublishFacts } from './plan.js';

export interface GatherOptions {
  /** dist/ override (--dist); default config.out */
  dist?: string;
  /**
   * Rules only: skip reading dist/ (it may not exist yet). `krel release` uses this to refuse a tag before
   * spending minutes on make and validation.
   */
  rulesOnly?: boolean;
}

export async function gatherPublishFacts(ctx: ReleaseContext, o: GatherOptions = {}): Promise<PublishFacts> {
  const { config, logger } = ctx;
  const store = ctx.store();
  // KREL_DRAFT_LEASE_MS: how long another run's draft counts as live without a heartbeat (lease.ts).
  const run = newRun(msFromEnv(ctx.env, 'KREL_DRAFT_LEASE_MS') ?? DEFAULT_LEASE_MS);
  const tag = { tag: ctx.tag.tag, source: ctx.tag.source };
  logger.info(`tag ${tag.tag} (from ${tag.source})`);
  const commit = await ctx.commit();
  logger.info(`commit ${commit.commit} (from ${commit.source})`);
  const info = await logger.section('store', async () => {
    const i = await store.info();
    logger.info(i.description);
    return i;
  });
  const releases = (await store.listReleases()).filter((r) => isForTag(r, tag.tag));
  const now = Date.now();
  const tagCommit = await store.tagCommit(tag.tag);
  const dist = o.dist ?? config.out;
  const local =
    o.rulesOnly === true
      ? { dist, assets: [], problems: [] }
      : await logger.section('assets', async () => {
          const l = await gatherLocalAssets(dist, ctx.signal);
          logger.info(`${l.assets.length} assets in ${l.dist}, checked against SHA256SUMS`);
          return l;
        });
  const file = await readNotesFile(config.release.notesDir, tag.tag);
  return {
    store: info,
    tag,
    replacePatterns: config.release.replace,
    latest: config.release.latest,
    commit,
    local,
    releases,
    tagCommit,
    notes: { ...(file ? { file } : {}), generateNotes: config.release.generateNotes },
    run,
    now,
  };
}
