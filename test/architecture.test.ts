/**
 * The import rules of docs/architecture.md, checked on every file of src/: a module imports downwards only
 * (cli -> pipeline -> pack | publish | validate | images -> context | store | vm | ssh | attest -> config | tag | log ->
 * errors | checksums | util),
 * rooms on one level may use each other only without a cycle, and only src/store/github* imports @octokit,
 * only src/ssh imports ssh2, only src/pack imports tar, only src/attest imports @cyclonedx.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './support/cli.js';

const LEVELS: Readonly<Record<string, number>> = {
  cli: 5,
  pipeline: 4,
  pack: 3,
  publish: 3,
  validate: 3,
  images: 3,
  init: 3,
  store: 2,
  vm: 2,
  ssh: 2,
  context: 2,
  attest: 2,
  config: 1,
  tag: 1,
  log: 1,
  errors: 0,
  checksums: 0,
  util: 0,
};

/** Which files (relative to src/) may import a package. */
const PACKAGE_OWNERS: readonly { pkg: RegExp; owner: RegExp; rule: string }[] = [
  { pkg: /^@octokit\//, owner: /^store\/github[^/]*\.ts$/, rule: 'only src/store/github* imports @octokit' },
  { pkg: /^ssh2(\/|$)/, owner: /^ssh\//, rule: 'only src/ssh imports ssh2' },
  { pkg: /^tar(\/|$)/, owner: /^pack\//, rule: 'only src/pack imports tar' },
  { pkg: /^@cyclonedx\//, owner: /^attest\//, rule: 'only src/attest imports @cyclonedx' },
];

/** Rule breaks in a set of sources keyed by their path relative to src/. */
export function importViolations(sources: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  for (const [file, text] of sources) {
    const room = file.split('/')[0]!;
    if (!file.includes('/')) continue; // src/*.ts at the top: none today
    if (LEVELS[room] === undefined) {
      problems.push(`${file}: room src/${room} has no level in DESIGN.md's import order`);
      continue;
    }
    for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
      if (spec.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        const to = target.split('/')[0]!;
        if (target.startsWith('..') || to === room) continue;
        if (LEVELS[to] === undefined) problems.push(`${file}: imports ${spec}, outside any room`);
        else if (LEVELS[to] > LEVELS[room]) problems.push(`${file}: ${room} imports ${to}, a room above it`);
        else edges.set(room, (edges.get(room) ?? new Set()).add(to));
        continue;
      }
      for (const o of PACKAGE_OWNERS)
        if (o.pkg.test(spec) && !o.owner.test(file)) problems.push(`${file}: imports ${spec} (${o.rule})`);
    }
  }
  // Rooms of one level may use each other, but never in a circle.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (room: string, trail: string[]): void => {
    if (state.get(room) === 'done') return;
    if (state.get(room) === 'open') {
      problems.push(
        `rooms import each other in a circle: ${[...trail.slice(trail.indexOf(room)), room].join(' -> ')}`,
      );
      return;
    }
    state.set(room, 'open');
    for (const to of edges.get(room) ?? []) visit(to, [...trail, room]);
    state.set(room, 'done');
  };
  for (const room of [...edges.keys()].sort()) visit(room, []);
  return problems;
}

function sourcesOf(dir: string, base = dir, out = new Map<string, string>()): Map<string, string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) sourcesOf(full, base, out);
    else if (e.name.endsWith('.ts'))
      out.set(path.relative(base, full).split(path.sep).join('/'), readFileSync(full, 'utf8'));
  }
  return out;
}

describe('architecture: the import rules of DESIGN.md', () => {
  it('every module in src/ imports downwards only, without circles, and packages stay in their rooms', () => {
    const sources = sourcesOf(path.join(REPO_ROOT, 'src'));
    expect(sources.size).to.be.above(50);
    expect(importViolations(sources)).to.deep.equal([]);
  });

  it('the check finds an upward import, a circle between siblings, a misplaced package and an unknown room', () => {
    const found = importViolations(
      new Map([
        ['log/logger.ts', "import { Octokit } from '@octokit/rest';\nimport { x } from '../cli/main.js';\n"],
        ['vm/a.ts', "import { b } from '../ssh/b.js';\n"],
        ['ssh/b.ts', "export { a } from '../vm/a.js';\nconst c = await import('ssh2');\n"],
        ['validate/c.ts', "import { Client } from 'ssh2';\nimport type { T } from './types.js';\n"],
        ['extras/d.ts', "import { e } from '../log/e.js';\n"],
      ]),
    );
    expect(found).to.deep.equal([
      'log/logger.ts: imports @octokit/rest (only src/store/github* imports @octokit)',
      'log/logger.ts: log imports cli, a room above it',
      'validate/c.ts: imports ssh2 (only src/ssh imports ssh2)',
      "extras/d.ts: room src/extras has no level in DESIGN.md's import order",
      'rooms import each other in a circle: ssh -> vm -> ssh',
    ]);
  });
});
