/** The human form of a validate plan (--dry-run without --json). */
import { describeSource } from './artifacts.js';
import type { ValidatePlan } from './validate.js';

export function formatValidatePlan(plan: ValidatePlan): string {
  const targets = plan.actions.flatMap((a) => (a.kind === 'validate-target' ? [a.target] : []));
  const lines = [
    `validate ${plan.doc} on ${targets.join(', ')} with ${describeSource(plan.source)} (${plan.session} shell session)`,
  ];
  for (const s of plan.steps) {
    const notes = [
      s.kind !== 'script' ? s.kind : undefined,
      s.replay === true ? 'replayed' : undefined,
      s.skip !== undefined ? `skip: ${s.skip}` : undefined,
      s.timeoutSec !== undefined ? `timeout ${s.timeoutSec}s` : undefined,
      ...s.expect.map((e) => `expect ${JSON.stringify(e)}`),
    ].filter((n) => n !== undefined);
    lines.push(`  ${s.index}. ${s.name} (line ${s.line})${notes.length > 0 ? ` [${notes.join('; ')}]` : ''}`);
    for (const o of s.overrides) lines.push(`       override ${o}`);
  }
  return lines.join('\n');
}
