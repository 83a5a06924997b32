/** The human form of a delete/prune plan. */
import type { CleanupPlan } from './cleanup-plan.js';

export function formatCleanupPlan(p: CleanupPlan): string {
  const lines = [`${p.kind} in ${p.store}: ${p.actions.length} to delete`];
  for (const a of p.actions) {
    lines.push(`  delete ${a.tag}: ${a.kind === 'delete-release' ? `release ${a.releaseId}` : 'git tag'}`);
  }
  for (const k of p.keep) lines.push(`  keep ${k}`);
  return lines.join('\n');
}
