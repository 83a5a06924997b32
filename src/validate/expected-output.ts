/**
 * Expected output of a transcript command, compared line by line in order (cram/doctest style):
 * - a line that is only `...` matches any number of lines, none included;
 * - `...` inside a line matches any text there (`Python 3...`);
 * - trailing whitespace, colour escapes and blank lines at the end are ignored on both sides.
 * The comparison streams (memory grows with the expected text, not the output); a mismatch is shown as a
 * unified diff of the output kept for it (the first MAX_DIFF_LINES lines).
 */
import { createTwoFilesPatch } from 'diff';

export const ELLIPSIS = '...';
/** Output lines kept per command for the diff. */
export const MAX_DIFF_LINES = 2000;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function normalizeLine(line: string): string {
  return line.replace(ANSI, '').trimEnd();
}

type LinePattern = { wild: true } | { wild: false; test: (line: string) => boolean };

function compile(expected: string): LinePattern {
  const e = normalizeLine(expected);
  if (e.trim() === ELLIPSIS) return { wild: true };
  if (!e.includes(ELLIPSIS)) return { wild: false, test: (l) => l === e };
  const re = new RegExp(
    `^${e
      .split(ELLIPSIS)
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return { wild: false, test: (l) => re.test(l) };
}

function trimBlankEnd(lines: readonly string[]): string[] {
  const out = [...lines];
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
  return out;
}

/** Feed the output lines as they come; `matches()` at the end. */
export class OutputMatcher {
  private readonly patterns: LinePattern[];
  private states: Set<number>;
  /** Blank lines held back: they count only if a non-blank line follows. */
  private blanks = 0;
  private readonly kept: string[] = [];
  private truncated = false;

  constructor(readonly expected: readonly string[]) {
    this.patterns = trimBlankEnd(expected).map(compile);
    this.states = this.closure(new Set([0]));
  }

  push(raw: string): void {
    const line = normalizeLine(raw);
    if (this.kept.length < MAX_DIFF_LINES) this.kept.push(line);
    else this.truncated = true;
    if (line === '') {
      this.blanks++;
      return;
    }
    for (; this.blanks > 0; this.blanks--) this.step('');
    this.step(line);
  }

  matches(): boolean {
    return this.states.has(this.patterns.length);
  }

  /** The unified diff expected -> actual, or [] when the output matched. */
  diff(): string[] {
    if (this.matches()) return [];
    const lines = outputDiff(this.expected, this.kept);
    if (this.truncated)
      lines.push(`(output longer than ${MAX_DIFF_LINES} lines: the diff covers the first ones)`);
    return lines;
  }

  private step(line: string): void {
    const next = new Set<number>();
    for (const s of this.states) {
      const p = this.patterns[s];
      if (p === undefined) continue;
      if (p.wild) next.add(s);
      else if (p.test(line)) next.add(s + 1);
    }
    this.states = this.closure(next);
  }

  private closure(states: Set<number>): Set<number> {
    for (const s of states) if (this.patterns[s]?.wild === true) states.add(s + 1);
    return states;
  }
}

/**
 * A unified diff that treats `...` as the lines it can stand for: the expected side is aligned with the output
 * (fewest lines added, removed or changed), wildcards and `...` lines take the output's text, and jsdiff formats the rest.
 */
export function outputDiff(expectedLines: readonly string[], actualLines: readonly string[]): string[] {
  const exp = trimBlankEnd(expectedLines).map(normalizeLine);
  const act = trimBlankEnd(actualLines.map(normalizeLine));
  const pats = exp.map(compile);
  const n = exp.length;
  const m = act.length;
  const INF = Number.MAX_SAFE_INTEGER;
  // A line added, removed or changed costs EDIT; a line a wildcard stands for costs a little, so that a changed
  // line shows as changed rather than as taken by a neighbouring `...`.
  const EDIT = 1000;
  const ABSORB = 1;
  const cost: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(INF));
  cost[0]![0] = 0;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      if (i === 0 && j === 0) continue;
      const p = i > 0 ? pats[i - 1]! : undefined;
      let best = INF;
      if (p?.wild === true) {
        best = Math.min(cost[i - 1]![j]!, j > 0 ? cost[i]![j - 1]! + ABSORB : INF);
      } else {
        if (i > 0) best = Math.min(best, cost[i - 1]![j]! + EDIT);
        if (j > 0) best = Math.min(best, cost[i]![j - 1]! + EDIT);
        if (p !== undefined && j > 0) {
          best = Math.min(best, cost[i - 1]![j - 1]! + (p.test(act[j - 1]!) ? 0 : EDIT));
        }
      }
      cost[i]![j] = best;
    }
  }
  // Walk back: the expected side, with matched and absorbed lines replaced by the output's text.
  const shown: string[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const p = i > 0 ? pats[i - 1]! : undefined;
    const here = cost[i]![j]!;
    if (p?.wild === true) {
      if (j > 0 && cost[i]![j - 1]! + ABSORB === here) shown.push(act[--j]!);
      else i--;
    } else if (p !== undefined && j > 0 && p.test(act[j - 1]!) && cost[i - 1]![j - 1] === here) {
      shown.push(act[--j]!);
      i--;
    } else if (p !== undefined && j > 0 && cost[i - 1]![j - 1]! + EDIT === here) {
      shown.push(exp[--i]!); // this line was replaced by the output's line j
      j--;
    } else if (i > 0 && cost[i - 1]![j]! + EDIT === here) {
      shown.push(exp[--i]!);
    } else {
      j--;
    }
  }
  shown.reverse();
  const text = (ls: readonly string[]): string => (ls.length === 0 ? '' : `${ls.join('\n')}\n`);
  const patch = createTwoFilesPatch('expected', 'actual', text(shown), text(act), undefined, undefined, {
    context: 3,
  });
  return patch
    .split('\n')
    .filter((l) => !/^=+$/.test(l) && !l.startsWith('\\ No newline'))
    .filter((l, k, all) => l !== '' || k < all.length - 1);
}
