/** The human form of a delete/prune plan. */
import type { CleanupPlan } from './cleanup-plan.js';

export function formatCleanupPlan(p: CleanupPlan): string {
  const lines = [`${p.kind} in ${p.store}: ${p.delete.length} to delete`];
  for (const t of p.delete) {
    const what = [t.releaseId !== undefined ? `release ${t.releaseId}` : '', t.deleteTag ? 'git tag' : '']
      .filter((x) => x !== '')
      .join(' + ');
    lines.push(`  delete ${t.tag}: ${what}`);
  }
  for (const k of p.keep) lines.push(`  keep ${k}`);
  return lines.join('\n');
}
