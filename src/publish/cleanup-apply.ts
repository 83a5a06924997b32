/** Run a delete/prune plan: each release (then its tag) in turn; a failure says what is already gone. */
import { ApplyError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore } from '../store/types.js';
import type { CleanupPlan } from './cleanup-plan.js';

export async function applyCleanupPlan(
  plan: CleanupPlan,
  store: ReleaseStore,
  logger: Logger,
): Promise<{ deleted: string[] }> {
  const deleted: string[] = [];
  const releases = await store.listReleases();
  for (const t of plan.delete) {
    try {
      if (t.releaseId !== undefined) {
        const r = releases.find((x) => x.id === t.releaseId);
        if (r !== undefined) await store.deleteRelease(r);
        logger.info(`deleted release ${t.tag} (${t.releaseId})`);
      }
      if (t.deleteTag) {
        await store.deleteTag(t.tag);
        logger.info(`deleted tag ${t.tag}`);
      }
    } catch (e) {
      throw new ApplyError(
        `deleting ${t.tag} failed: ${errorMessage(e)}; already deleted: ${deleted.join(', ') || 'nothing'}`,
        { cause: e },
      );
    }
    deleted.push(t.tag);
  }
  return { deleted };
}
