/** The human form of a delete/prune plan. */
import type { CleanupPlan } from './cleanup-plan.js';

export function formatCleanupPlan(p: CleanupPlan): string {
  const lines = [`${p.kind} in ${p.store}: ${p.actions.length} to delete`];
  for (const a of p.actions) {
    lines.push(
      a.kind === 'delete-release'
        ? `  delete release ${a.tag} (${a.releaseId})`
        : `  delete git tag ${a.tag}`,
    );
  }
  for (const k of p.keep) lines.push(`  keep ${k}`);
  return lines.join('\n');
}
