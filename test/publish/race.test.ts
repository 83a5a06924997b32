/**
 * Concurrent `krel publish` runs of one replace tag: real CLI processes started together (2 or 3, each with its
 * own commit and dist/), against the GitHub emulator with seeded random latency per request and against a
 * local dir: store. After every repetition: exactly one published release of the tag, no draft left, the tag
 * at the release's commit, at least one run exit 0, and every other run exit 3 or 4 with one line saying it
 * stood down (or that a later run replaced its release). KREL_RACE_REPS sets the repetitions per case (default 20).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDirStore } from '../../src/store/dir-store.js';
import type { ReleaseStore } from '../../src/store/types.js';
import type { RunResult } from '../support/cli.js';
import {
  type GitHubEmulator,
  fakeSha,
  seededRandom,
  startGitHubEmulator,
} from '../support/github-emulator/index.js';
import { TEST_TOKEN, emulatorStore } from '../support/github-emulator/testing.js';
import { type Project, buildCli, expectNoToken, makeProject, sha256 } from './project.js';

const TAG = 'v0.1-test';
const REPS = Number(process.env.KREL_RACE_REPS ?? 20);
const C0 = fakeSha('kontainapp/km#1');
const COMMITS = [fakeSha('kontainapp/km#2'), fakeSha('kontainapp/km#3'), fakeSha('kontainapp/km#4')];

interface Outcome {
  /** The published releases of the tag: commit and asset digests (name -> sha256). */
  published: { commit: string; assets: Record<string, string> }[];
  drafts: string[];
  tagCommit: string | undefined;
}

/** One dist/ per run: different bytes, so the published assets tell which run won. */
function distOf(i: number, rep: number): Record<string, string> {
  return { 'kontain.tar.gz': `run ${i} rep ${rep}\n`, 'kontain-node.tar.gz': `node ${i}\n` };
}

/** An earlier release of the tag, for the replace case. */
async function seedRelease(store: ReleaseStore, dist: string): Promise<void> {
  const draft = await store.createDraft({
    tag: `krel-draft/${TAG}`,
    commit: C0,
    name: TAG,
    body: '',
    prerelease: true,
  });
  await store.uploadAsset(draft, {
    name: 'kontain.tar.gz',
    file: path.join(dist, 'kontain.tar.gz'),
    size: readFileSync(path.join(dist, 'kontain.tar.gz')).length,
    sha256: sha256(readFileSync(path.join(dist, 'kontain.tar.gz'))),
    contentType: 'application/gzip',
  });
  await store.publish(draft, { tag: TAG, prerelease: true, makeLatest: 'false' });
  await store.moveTag(TAG, C0);
}

/** Start every run together (each after its own seeded head start of 0-150 ms) and wait for all. */
async function race(
  projects: Project[],
  rep: number,
  args: (i: number) => string[],
  env: NodeJS.ProcessEnv,
): Promise<RunResult[]> {
  const random = seededRandom(1000 + rep);
  return Promise.all(
    projects.map(async (p, i) => {
      await sleep(Math.floor(random() * 150));
      return p.run(['publish', '--commit', COMMITS[i]!, ...args(i)], env);
    }),
  );
}

function expectOneWinner(runs: RunResult[], out: Outcome, rep: number): void {
  const detail = `rep ${rep}: ${JSON.stringify({ out, runs: runs.map((r) => [r.code, r.stderr.split('\n').filter((l) => l.startsWith('krel:'))]) })}`;
  expect(out.published, detail).to.have.length(1);
  expect(out.drafts, detail).to.deep.equal([]);
  const release = out.published[0]!;
  expect(out.tagCommit, detail).to.equal(release.commit);
  expect(
    runs.filter((r) => r.code === 0),
    detail,
  ).to.not.have.length(0);
  // The release is a winner's: its commit and its bytes.
  const winner = COMMITS.indexOf(release.commit);
  expect(runs[winner]?.code, detail).to.equal(0);
  expect(release.assets['kontain.tar.gz'], detail).to.equal(sha256(distOf(winner, rep)['kontain.tar.gz']!));
  for (const r of runs) {
    expectNoToken(r, TEST_TOKEN);
    if (r.code === 0) continue;
    expect([3, 4], detail).to.include(r.code);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('krel: '));
    expect(errors, detail).to.have.length(1);
    // A loser stands down before or at the swap, or finds its release replaced by a later run afterwards.
    expect(errors[0], detail).to.match(/stood down|superseded/);
  }
}

describe('concurrent publishes of one replace tag', function () {
  this.timeout(60_000);
  const projects: Project[] = [];

  before(function () {
    this.timeout(300_000);
    buildCli();
    for (let i = 0; i < 3; i++) projects.push(makeProject({ store: 'github', uploadConcurrency: 2 }));
  });
  after(() => {
    for (const p of projects) p.cleanup();
  });

  const cases = (runs: number) =>
    Array.from({ length: REPS }, (_v, rep) => ({ rep, runs, replace: rep % 2 === 0 }));

  for (const runs of [2, 3]) {
    for (const c of cases(runs)) {
      it(`GitHub, ${runs} runs, ${c.replace ? 'replace' : 'create'}, seed ${c.rep}: one release, tag at its commit, losers stand down`, async () => {
        const gh: GitHubEmulator = await startGitHubEmulator({
          repos: [{ owner: 'kontainapp', repo: 'km', commits: [C0, ...COMMITS] }],
          token: TEST_TOKEN,
          latency: { seed: c.rep * 10 + runs, maxMs: 25 },
        });
        try {
          const used = projects.slice(0, runs);
          used.forEach((p, i) => p.writeDist(distOf(i, c.rep)));
          if (c.replace) await seedRelease(emulatorStore(gh), used[0]!.dist);
          const results = await race(used, c.rep, () => [], {
            GITHUB_API_URL: gh.apiUrl,
            GITHUB_TOKEN: gh.token,
            KREL_RETRY_BASE_MS: '10',
            KREL_GITHUB_WRITE_SPACING_MS: '0',
          });
          const repo = gh.state.repos[0]!;
          const out: Outcome = {
            published: repo.releases
              .filter((r) => !r.draft && r.tagName === TAG)
              .map((r) => ({
                commit: r.targetCommitish,
                assets: Object.fromEntries(r.assets.map((a) => [a.name, sha256(readFileSync(a.file!))])),
              })),
            drafts: repo.releases.filter((r) => r.draft).map((r) => String(r.id)),
            tagCommit: gh.state.tagCommit(repo, TAG),
          };
          expectOneWinner(results, out, c.rep);
          gh.assertNoViolations();
        } finally {
          await gh.close();
        }
      });
    }
  }

  for (const runs of [2, 3]) {
    for (const c of cases(runs)) {
      it(`dir store, ${runs} runs, ${c.replace ? 'replace' : 'create'}, seed ${c.rep}: one release, tag at its commit, losers stand down`, async () => {
        const root = mkdtempSync(path.join(tmpdir(), 'krel-race-'));
        try {
          const used = projects.slice(0, runs);
          used.forEach((p, i) => p.writeDist(distOf(i, c.rep)));
          const store = createDirStore({ root, repo: 'kontainapp/km' });
          if (c.replace) await seedRelease(store, used[0]!.dist);
          const results = await race(used, c.rep, () => ['--store', `dir:${root}`], {});
          const download = path.join(root, 'kontainapp', 'km', 'releases', 'download');
          const all = await store.listReleases();
          const out: Outcome = {
            published: all
              .filter((r) => !r.draft && r.tag === TAG)
              .map((r) => ({
                commit: r.targetCommitish,
                assets: Object.fromEntries(
                  r.assets.map((a) => [a.name, sha256(readFileSync(path.join(download, TAG, a.name)))]),
                ),
              })),
            drafts: readdirSync(download).filter((e) => e.startsWith('.') && e !== '.krel.lock'),
            tagCommit: await store.tagCommit(TAG),
          };
          expectOneWinner(results, out, c.rep);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });
    }
  }
});
