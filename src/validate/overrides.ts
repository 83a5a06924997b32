/**
 * krel.json validate.steps applied to a guide's steps, without touching the guide: each override picks blocks
 * (a regular expression on the step's name or text, or the block's number) and changes how they run. Every
 * change is recorded on the step (step.overrides) so that plans and lint show it. An override that picks no
 * block is an error: the guide changed under it.
 */
import type { StepOverride } from '../config/types.js';
import { ELLIPSIS } from './expected-output.js';
import { shapeStep, type Step } from './steps.js';

function selector(o: StepOverride): string {
  return o.index !== undefined ? `index ${o.index}` : `match /${o.match ?? ''}/`;
}

function picks(o: StepOverride, step: Step): boolean {
  if (o.index !== undefined) return step.index === o.index;
  const re = new RegExp(o.match ?? '');
  return re.test(step.name) || re.test(step.text);
}

function rewrite(text: string, replace: readonly [string, string][]): string {
  return replace.reduce((t, [re, to]) => t.replace(new RegExp(re, 'g'), to), text);
}

/** Commands run before the block's own: a first command of a transcript (any output), or a script's head. */
function withBefore(s: Step, before: string): Step {
  if (s.kind === 'transcript' && s.commands !== undefined) {
    const commands = [{ command: before, expected: [ELLIPSIS], exitCode: 0, line: 0 }, ...s.commands];
    return { ...s, commands, script: commands.map((c) => c.command).join('\n') };
  }
  if (s.kind === 'file') return { ...s, before };
  return { ...s, script: `${before}\n${s.script}` };
}

/** One override on one step: the changed step and what changed, in words. */
function applyOne(step: Step, o: StepOverride): { step: Step; changes: string[] } {
  const changes: string[] = [];
  let s = step;
  if (o.file !== undefined || o.run === true) {
    s = shapeStep(s, { run: true, ...(o.file !== undefined ? { writeTo: o.file } : {}) });
    changes.push(o.file !== undefined ? `write the block to ${o.file}` : 'run as shell');
  }
  if (o.replace.length > 0) {
    if (s.kind === 'transcript' && s.commands !== undefined) {
      const commands = s.commands.map((c) => ({ ...c, command: rewrite(c.command, o.replace) }));
      s = { ...s, commands, script: commands.map((c) => c.command).join('\n') };
    } else {
      s = { ...s, script: rewrite(s.script, o.replace) };
    }
    for (const [re, to] of o.replace) changes.push(`replace /${re}/ with ${JSON.stringify(to)}`);
  }
  if (o.before !== undefined) {
    s = withBefore(s, o.before);
    changes.push(`run first: ${o.before.split('\n')[0] ?? ''}`);
  }
  if (o.run === false && s.skip === undefined) {
    s = { ...s, skip: `not run (${o.at})` };
    changes.push('do not run');
  }
  if (o.skip !== undefined) {
    s = { ...s, skip: o.skip };
    changes.push(`skip (${o.skip})`);
  }
  if (o.expect.length > 0) {
    s = { ...s, expect: [...s.expect, ...o.expect] };
    changes.push(...o.expect.map((e) => `expect ${JSON.stringify(e)}`));
  }
  if (o.timeoutSec !== undefined) {
    s = { ...s, timeoutSec: o.timeoutSec };
    changes.push(`timeout ${o.timeoutSec}s`);
  }
  if (o.env !== undefined) {
    s = { ...s, env: { ...s.env, ...o.env } };
    changes.push(`env ${Object.keys(o.env).join(', ')}`);
  }
  if (o.continueOnError === true) {
    s = { ...s, continueOnError: true };
    changes.push('continue on error');
  }
  return { step: s, changes };
}

/** The steps with the overrides applied, and the overrides that picked no block. */
export function applyOverrides(
  steps: readonly Step[],
  overrides: readonly StepOverride[],
): { steps: Step[]; unmatched: StepOverride[] } {
  let out = [...steps];
  const unmatched: StepOverride[] = [];
  for (const o of overrides) {
    let hit = 0;
    out = out.map((step) => {
      if (!picks(o, step)) return step;
      hit++;
      const { step: changed, changes } = applyOne(step, o);
      return {
        ...changed,
        overrides: [...step.overrides, `${o.at} (${selector(o)}): ${changes.join('; ')}`],
      };
    });
    if (hit === 0) unmatched.push(o);
  }
  return { steps: out, unmatched };
}

/** What to say of an override that picked no block of the guide. */
export function unmatchedMessage(o: StepOverride, doc: string): string {
  return `krel.json ${o.at} (${selector(o)}) matches no block of ${doc}: fix it or remove it (krel validate --lint lists the blocks)`;
}
