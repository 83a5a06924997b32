/** krel.json validate.steps, typed: every regular expression compiles, or the problem names its place. */
import type { StepOverride } from './types.js';

export interface RawStepOverride {
  match?: string;
  index?: number;
  skip?: string;
  expect?: string | string[];
  timeout?: number;
  run?: boolean;
  file?: string;
  env?: Record<string, string>;
  replace?: [string, string][];
  before?: string;
  continueOnError?: boolean;
}

function regexProblem(source: string, where: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (e) {
    return `${where}: not a regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
}

export function buildStepOverrides(raw: readonly RawStepOverride[], problems: string[]): StepOverride[] {
  return raw.map((r, i) => {
    const at = `validate.steps[${i}]`;
    if (r.match !== undefined) {
      const p = regexProblem(r.match, `${at}.match`);
      if (p !== undefined) problems.push(p);
    }
    (r.replace ?? []).forEach(([re], k) => {
      const p = regexProblem(re, `${at}.replace[${k}]`);
      if (p !== undefined) problems.push(p);
    });
    if (r.file !== undefined && r.run === false)
      problems.push(`${at}: "file" writes the block, so "run": false contradicts it`);
    const o: StepOverride = {
      at,
      expect: r.expect === undefined ? [] : typeof r.expect === 'string' ? [r.expect] : r.expect,
      replace: r.replace ?? [],
    };
    if (r.match !== undefined) o.match = r.match;
    if (r.index !== undefined) o.index = r.index;
    if (r.skip !== undefined) o.skip = r.skip;
    if (r.timeout !== undefined) o.timeoutSec = r.timeout;
    if (r.run !== undefined) o.run = r.run;
    if (r.file !== undefined) o.file = r.file;
    if (r.env !== undefined) o.env = r.env;
    if (r.before !== undefined) o.before = r.before;
    if (r.continueOnError !== undefined) o.continueOnError = r.continueOnError;
    return o;
  });
}
