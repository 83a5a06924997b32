/** Run a delete/prune plan: its actions in order; a failure says what is already gone. */
import { ApplyError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore } from '../store/types.js';
import type { CleanupAction, CleanupPlan } from './cleanup-plan.js';

export interface CleanupResult {
  /** The actions carried out, in order (the plan's, when nothing failed). */
  done: CleanupAction[];
  /** Tags whose release or git tag was deleted. */
  deleted: string[];
}

function describe(a: CleanupAction): string {
  return a.kind === 'delete-release' ? `release ${a.tag} (${a.releaseId})` : `tag ${a.tag}`;
}

export async function applyCleanupPlan(
  plan: CleanupPlan,
  store: ReleaseStore,
  logger: Logger,
): Promise<CleanupResult> {
  const done: CleanupAction[] = [];
  const releases = await store.listReleases();
  for (const a of plan.actions) {
    try {
      switch (a.kind) {
        case 'delete-release': {
          const r = releases.find((x) => x.id === a.releaseId);
          if (r !== undefined) await store.deleteRelease(r);
          break;
        }
        case 'delete-tag':
          await store.deleteTag(a.tag);
          break;
      }
    } catch (e) {
      throw new ApplyError(
        `deleting ${describe(a)} failed: ${errorMessage(e)}; already deleted: ${done.map(describe).join(', ') || 'nothing'}`,
        { cause: e },
      );
    }
    logger.info(`deleted ${describe(a)}`);
    done.push(a);
  }
  return { done, deleted: [...new Set(done.map((a) => a.tag))] };
}
