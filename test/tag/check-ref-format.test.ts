/**
 * krel's tag check against the real `git check-ref-format "refs/tags/<name>"`: a table of tricky names and
 * many generated ones. krel accepts a name as a git tag exactly when git does, and refuses as a release tag
 * everything git refuses plus what krel's own rules add (a leading "v", no # ? %, a length limit).
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { UsageError } from '../../src/errors/index.js';
import { MAX_TAG_BYTES, checkTag, releaseTagProblem, tagNameProblem } from '../../src/tag/index.js';

/** git's verdict on each name, from one bash loop (names NUL-separated on stdin, one "1" or "0" each). */
function gitVerdicts(names: readonly string[]): Map<string, boolean> {
  const loop =
    'while IFS= read -r -d "" n; do git check-ref-format "refs/tags/$n" && printf 1 || printf 0; done';
  const r = spawnSync('bash', ['-c', loop], { input: names.map((n) => n + '\0').join(''), encoding: 'utf8' });
  if (r.error) throw r.error;
  expect(r.stdout, r.stderr).to.have.length(names.length);
  return new Map(names.map((n, i) => [n, r.stdout[i] === '1']));
}

const TRICKY = [
  'v1.0.0',
  'v1.0.0-rc.1+build.5',
  '@',
  'v@',
  'v@{1}',
  'v1@{',
  'v{}',
  'v1..2',
  'v1.',
  'v1./x',
  'v1/x.',
  'v1/.x',
  '.v1',
  'v1.lock',
  'v1.lock/x',
  'v1/x.lock',
  'v1.lock.lock',
  'v1.locks',
  'v1/',
  '/v1',
  'v1//2',
  'v1/2/3',
  'v',
  'v1 2',
  'v1\t2',
  'v1\x01',
  'v1\x1f',
  'v1\x7f',
  'v1~1',
  'v1^',
  'v1:2',
  'v1?',
  'v1*',
  'v1[',
  'v1]',
  'v1\\',
  'v1#x',
  'v1%2e0',
  'v1!',
  'v1\'"<>|&;$`',
  'vü',
  'v\u0085',
  'v\u00a0',
  'v😀',
  '',
  '-v1',
  'v-',
];

/** A small seeded generator (mulberry32): the same names on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names built from the pieces git's rules are about (NUL excluded: it cannot be passed in argv). */
function generated(count: number, seed: number): string[] {
  const pieces = [
    ...'v1.0-abz/@{}~^:?*[]\\ #%+!ü\t\x01\x7f'.split(''),
    '.lock',
    '..',
    '//',
    '@{',
    '.',
    '/.',
    'v',
    'v1.0',
  ];
  const next = random(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + Math.floor(next() * 7);
    let name = next() < 0.7 ? 'v' : '';
    for (let j = 0; j < len; j++) name += pieces[Math.floor(next() * pieces.length)];
    out.push(name);
  }
  return out;
}

describe('tag names against git check-ref-format', function () {
  this.timeout(60_000);
  const names = [...new Set([...TRICKY, ...generated(400, 20240607)])];
  let git = new Map<string, boolean>();
  const gitAccepts = (name: string): boolean => {
    const v = git.get(name);
    if (v === undefined) throw new Error(`no git verdict for ${JSON.stringify(name)}`);
    return v;
  };
  before(() => {
    git = gitVerdicts([...names, 'v1.0#x-daily', 'v1%2e0', 'v1.0%']);
  });

  it('krel takes a name for a valid git tag exactly when git check-ref-format "refs/tags/<name>" does', () => {
    const disagree = names
      .map((n) => ({ name: n, git: gitAccepts(n), krel: tagNameProblem(n) === undefined }))
      .filter((r) => r.git !== r.krel);
    expect(disagree).to.deep.equal([]);
    // The sample is not trivially one-sided.
    const accepted = names.filter((n) => tagNameProblem(n) === undefined).length;
    expect(accepted).to.be.within(50, names.length - 50);
  });

  it('every name git refuses is refused as a release tag with exit 2 (UsageError), and so is # ? % or no "v"', () => {
    for (const name of names) {
      const refused = !gitAccepts(name) || /[#?%]/.test(name) || !name.startsWith('v');
      if (refused) expect(() => checkTag(name, 'argument'), JSON.stringify(name)).to.throw(UsageError);
      else expect(checkTag(name, 'argument'), JSON.stringify(name)).to.equal(name);
    }
  });

  it('a tag holding #, ? or % is refused even where git allows it', () => {
    for (const tag of ['v1.0#x-daily', 'v1%2e0', 'v1.0%']) {
      expect(gitAccepts(tag), tag).to.equal(true);
      expect(() => checkTag(tag, 'RELEASE_TAG'), tag).to.throw(UsageError, /must not contain #, \? or %/);
    }
  });

  it(`a tag longer than ${MAX_TAG_BYTES} bytes is refused; one of exactly ${MAX_TAG_BYTES} is a tag`, () => {
    const fits = 'v' + '1'.repeat(MAX_TAG_BYTES - 1);
    expect(releaseTagProblem(fits)).to.equal(undefined);
    expect(() => checkTag(fits + '1', 'argument')).to.throw(UsageError, /at most 200/);
    // Bytes, not characters: 100 two-byte letters are 201 bytes with the "v".
    expect(releaseTagProblem('v' + 'ü'.repeat(100))).to.match(/201 bytes/);
    // The message stays one short line: the tag is cut, not printed whole.
    try {
      checkTag('v' + 'x'.repeat(300), 'RELEASE_TAG');
      expect.fail('a 301-character tag was accepted');
    } catch (e) {
      expect((e as Error).message).to.have.length.below(160);
      expect((e as Error).message).to.not.include('\n');
    }
  });
});
