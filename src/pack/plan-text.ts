/** The human form of a make plan (--dry-run without --json). */
import { formatBytes } from '../log/logger.js';
import type { MakePlan } from './types.js';

export function formatPlan(plan: MakePlan): string {
  const lines = [
    `krel make plan (dry run: nothing is written)`,
    `  source  ${plan.source}`,
    `  out     ${plan.out}`,
    `  mtime   ${plan.sourceDateEpoch} (${plan.epochSource})`,
    `  commit  ${plan.commit ?? '(not a git repository)'}`,
  ];
  for (const a of plan.actions) {
    if (a.kind !== 'run-build') continue;
    lines.push(`  build   ${a.command}  (runs first: ${plan.missing.length} inputs missing)`);
    for (const m of plan.missing) lines.push(`    ${m}`);
  }
  const width = Math.max(...[...plan.archives, ...plan.assets].map((a) => a.name.length));
  let entries = 0;
  let bytes = 0;
  for (const a of plan.archives) {
    entries += a.entries.length;
    bytes += a.bytes;
    lines.push(
      `  ${a.name.padEnd(width)}  ${String(a.entries.length).padStart(6)} entries  ${formatBytes(a.bytes)}`,
    );
  }
  for (const a of plan.assets)
    lines.push(`  ${a.name.padEnd(width)}  copied as is    ${formatBytes(a.size)}`);
  const assets = plan.assets.length > 0 ? `, ${plan.assets.length} other assets` : '';
  lines.push(
    `  total   ${plan.archives.length} archives${assets}, ${entries} entries, ${formatBytes(bytes)} before compression`,
  );
  lines.push(
    plan.signing === undefined
      ? `  sign    not signed (no signing key)`
      : `  sign    ${plan.signing.algorithm} key ${plan.signing.keyId.slice(0, 16)} (${plan.signing.from}: ${plan.signing.keyFile})`,
  );
  for (const n of plan.notes) lines.push(`  note    ${n}`);
  return lines.join('\n');
}
