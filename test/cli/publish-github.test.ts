/**
 * `krel publish` against the GitHub emulator through the real CLI: the tag rules, the all-or-nothing
 * contract under faults, resume after SIGKILL, SIGINT cleanup, and no token in any output.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GitHubEmulator } from '../support/github-emulator/index.js';
import { fakeSha } from '../support/github-emulator/index.js';
import { TEST_TOKEN, emulatorStore, useGitHubEmulator } from '../support/github-emulator/testing.js';
import type { RunResult } from '../support/cli.js';
import {
  type Project,
  buildCli,
  expectNoToken,
  makeProject,
  runAndSignalWhen,
  sha256,
} from '../publish/project.js';

const C1 = fakeSha('kontainapp/km#1');
const C2 = fakeSha('kontainapp/km#2');

function env(gh: GitHubEmulator, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GITHUB_API_URL: gh.apiUrl,
    GITHUB_TOKEN: gh.token,
    KREL_RETRY_BASE_MS: '10',
    KREL_GITHUB_WRITE_SPACING_MS: '0',
    ...extra,
  };
}

const repoOf = (gh: GitHubEmulator) => gh.state.repos[0]!;
const releasesOf = (gh: GitHubEmulator, tag: string) => repoOf(gh).releases.filter((r) => r.tagName === tag);
const uploadsOf = (gh: GitHubEmulator, from = 0) =>
  gh.requests.slice(from).filter((r) => r.listener === 'uploads' && r.method === 'POST');
const uploadedName = (url: string): string => new URL(url, 'http://x').searchParams.get('name') ?? '';

/** Has an upload of `name` to a draft begun (a starter asset exists)? */
const uploadStarted = (gh: GitHubEmulator, name: string): boolean =>
  repoOf(gh).releases.some((x) => x.draft && x.assets.some((a) => a.name === name && a.state === 'starter'));

/** The release as GitHub holds it, with each asset's bytes: for "exactly as it was" comparisons. */
function snapshotRelease(gh: GitHubEmulator, tag: string): unknown {
  const r = releasesOf(gh, tag).find((x) => !x.draft);
  if (r === undefined) return undefined;
  return {
    ...r,
    assets: r.assets.map((a) => ({
      ...a,
      bytes: a.file === undefined ? null : sha256(readFileSync(a.file)),
    })),
    tag: repoOf(gh).refs.get(`refs/tags/${tag}`),
  };
}

describe('krel publish to GitHub (emulator)', function () {
  this.timeout(120_000);
  const emu = useGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km', commits: [C1, C2] }] });
  let p: Project;
  const results: RunResult[] = [];
  const run = async (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> => {
    const r = await p.run(args, env(emu.gh, extra));
    results.push(r);
    return r;
  };

  before(buildCli);
  beforeEach(() => {
    p = makeProject({ store: 'github', uploadConcurrency: 2 });
    results.length = 0;
  });
  afterEach(() => {
    // No token string in stdout or stderr of any publish run.
    for (const r of results) expectNoToken(r, TEST_TOKEN);
    p.cleanup();
  });

  it('publishing v0.1-test twice leaves one release with the second assets and the tag on the new commit', async () => {
    const { gh } = emu;
    p.writeDist({ 'kontain.tar.gz': 'first\n', 'first-only.bin': 'x\n' });
    const r1 = await run(['publish', '--commit', C1], { RELEASE_TAG: 'v0.1-test' });
    expect(r1.code, r1.stderr).to.equal(0);
    p.writeDist({ 'kontain.tar.gz': 'second\n' });
    const r2 = await run(['publish', '--json'], { RELEASE_TAG: 'v0.1-test', GITHUB_SHA: C2 });
    expect(r2.code, r2.stderr).to.equal(0);
    const rels = releasesOf(gh, 'v0.1-test');
    expect(rels).to.have.length(1);
    const rel = rels[0]!;
    expect(rel).to.include({ draft: false, prerelease: true, targetCommitish: C2 });
    expect(rel.assets.map((a) => a.name).sort()).to.deep.equal(['SHA256SUMS', 'kontain.tar.gz']);
    const core = rel.assets.find((a) => a.name === 'kontain.tar.gz')!;
    expect(core.digest).to.equal(`sha256:${sha256('second\n')}`);
    expect(repoOf(gh).refs.get('refs/tags/v0.1-test')).to.equal(C2);
    const out = JSON.parse(r2.stdout) as {
      url: string;
      id: string;
      action: string;
      assets: { url: string }[];
    };
    expect(out).to.include({ action: 'replace', id: String(rel.id) });
    expect(out.assets.every((a) => a.url.startsWith(gh.downloadsUrl))).to.equal(true);
    // Every public download was checked without a token.
    expect(gh.requests.filter((r) => r.listener === 'web' && r.status === 200).length).to.be.at.least(2);
  });

  it('a non-replace tag that already has a release fails with exit 3 and makes no write request', async () => {
    const { gh } = emu;
    p.writeDist({ 'kontain.tar.gz': 'beta\n' });
    expect((await run(['publish'], { RELEASE_TAG: 'v0.9-beta', GITHUB_SHA: C1 })).code).to.equal(0);
    const seen = gh.requests.length;
    const before = snapshotRelease(gh, 'v0.9-beta');
    const r = await run(['publish'], { RELEASE_TAG: 'v0.9-beta', GITHUB_SHA: C2 });
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/release v0.9-beta already exists/);
    expect(gh.requests.slice(seen).filter((x) => x.write)).to.deep.equal([]);
    expect(gh.requests.length).to.be.greaterThan(seen); // it did look
    expect(snapshotRelease(gh, 'v0.9-beta')).to.deep.equal(before);
  });

  it('a tag without the leading v fails with exit 2 before any request', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await run(['publish'], { RELEASE_TAG: '0.9-beta' });
    expect(r.code).to.equal(2);
    expect(emu.gh.requests).to.deep.equal([]);
  });

  it('--dry-run shows the plan and makes zero write requests', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await run(['publish', '--dry-run', '--json', '--commit', C2]);
    expect(r.code, r.stderr).to.equal(0);
    expect((JSON.parse(r.stdout) as { action: string }).action).to.equal('create');
    expect(emu.gh.writes()).to.deep.equal([]);
  });

  it('with the 2nd upload failing with 502 and the 3rd dropping the connection, publish completes with verified digests', async () => {
    const { gh } = emu;
    p.writeDist({
      'kontain.tar.gz': 'core\n',
      'kontain-node.tar.gz': 'node\n',
      'kontain-python.tar.gz': 'py\n',
    });
    const f502 = gh.faults.add({ route: 'uploadReleaseAsset', nth: 2, kind: { status: 502 } });
    const fdrop = gh.faults.add({ route: 'uploadReleaseAsset', nth: 3, kind: 'drop' });
    const r = await run(['publish', '--commit', C2]);
    expect(r.code, r.stderr).to.equal(0);
    expect(f502.fired).to.equal(1);
    expect(fdrop.fired).to.equal(1);
    // Bounded concurrency: never more uploads in flight than release.uploadConcurrency (2).
    const ups = uploadsOf(gh);
    const inFlight = ups.map((u) => ups.filter((o) => o.start <= u.start && o.end > u.start).length);
    expect(Math.max(...inFlight)).to.be.at.most(2);
    const rel = releasesOf(gh, 'v0.1-test');
    expect(rel).to.have.length(1);
    for (const name of ['kontain.tar.gz', 'kontain-node.tar.gz', 'kontain-python.tar.gz', 'SHA256SUMS']) {
      const a = rel[0]!.assets.filter((x) => x.name === name);
      expect(a, name).to.have.length(1);
      expect(a[0]!.state).to.equal('uploaded');
      expect(a[0]!.digest).to.equal(`sha256:${sha256(readFileSync(path.join(p.dist, name)))}`);
    }
  });

  it('an upload answered 403 with Retry-After (secondary limit) waits as told, then completes', async () => {
    const { gh } = emu;
    p.writeDist({ 'kontain.tar.gz': 'core\n' });
    const limit = gh.faults.add({
      route: 'uploadReleaseAsset',
      nth: 1,
      kind: { status: 403, retryAfter: 1, secondary: true },
    });
    const r = await run(['publish', '--commit', C2]);
    expect(r.code, r.stderr).to.equal(0);
    expect(limit.fired).to.equal(1);
    const ups = uploadsOf(gh);
    const at = ups.findIndex((u) => u.status === 403);
    const limited = ups[at]!;
    // The retry is the next upload of that name to arrive (not the limited one itself, which may have been
    // answered within the millisecond it arrived).
    const next = ups.slice(at + 1).find((u) => uploadedName(u.url) === uploadedName(limited.url));
    expect(next, 'the limited upload was retried').to.not.equal(undefined);
    expect(next!.status).to.equal(201);
    expect(next!.start - limited.end).to.be.at.least(900);
  });

  it('an upload answered 422 already_exists (a leftover asset) is cleared and redone', async () => {
    const { gh } = emu;
    p.writeDist({ 'kontain.tar.gz': 'core\n' });
    gh.faults.add({ route: 'uploadReleaseAsset', nth: 1, kind: 'already_exists' });
    const r = await run(['publish', '--commit', C2]);
    expect(r.code, r.stderr).to.equal(0);
    const rel = releasesOf(gh, 'v0.1-test')[0]!;
    expect(rel.assets.map((a) => [a.name, a.digest]).sort()).to.deep.equal(
      ['SHA256SUMS', 'kontain.tar.gz']
        .map((n) => [n, `sha256:${sha256(readFileSync(path.join(p.dist, n)))}`])
        .sort(),
    );
  });

  it('uploads failing permanently during a replace leave the old release exactly as it was and no draft', async () => {
    const { gh } = emu;
    p.writeDist({ 'kontain.tar.gz': 'old\n' });
    expect((await run(['publish', '--commit', C1])).code).to.equal(0);
    const before = snapshotRelease(gh, 'v0.1-test');
    p.writeDist({ 'kontain.tar.gz': 'new\n' });
    gh.faults.add({ route: 'uploadReleaseAsset', nth: 1, times: 1000, kind: { status: 502 } });
    const seen = gh.requests.length;
    const r = await run(['publish', '--commit', C2]);
    expect(r.code).to.equal(4);
    expect(r.stderr).to.match(/old release \d+ is untouched, the draft \d+ was deleted/);
    // One retry layer: a name is sent as often as the store's attempts (5), not attempts × attempts.
    expect(r.stderr).to.match(/could not upload \S+ to kontainapp\/km after 5 attempts: GitHub answered 502/);
    const sends = new Map<string, number>();
    for (const u of uploadsOf(gh, seen))
      sends.set(uploadedName(u.url), (sends.get(uploadedName(u.url)) ?? 0) + 1);
    expect(Math.max(...sends.values())).to.equal(5);
    expect(snapshotRelease(gh, 'v0.1-test')).to.deep.equal(before);
    expect(repoOf(gh).releases.filter((x) => x.draft)).to.deep.equal([]);
  });

  it('a publish killed mid-upload (SIGKILL) is finished by a rerun without re-uploading matching assets', async () => {
    const { gh } = emu;
    p.cleanup();
    p = makeProject({ store: 'github', uploadConcurrency: 1 });
    p.writeDist({ 'kontain.tar.gz': 'core\n', 'zz-big.bin': Buffer.alloc(256 * 1024 * 1024, 1) });
    const killed = await runAndSignalWhen(p, ['publish', '--commit', C2], env(gh), 'SIGKILL', () =>
      uploadStarted(gh, 'zz-big.bin'),
    );
    results.push(killed);
    expect(killed.signal, killed.stderr).to.equal('SIGKILL');
    const draft = repoOf(gh).releases.find((x) => x.draft)!;
    expect(draft.assets.find((a) => a.name === 'kontain.tar.gz')?.state).to.equal('uploaded');
    const seen = gh.requests.length;
    // The killed run's lease would hold its draft for 15 minutes; a zero lease lets the rerun resume it now.
    const r = await run(['publish', '--commit', C2], { KREL_DRAFT_LEASE_MS: '0' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/resuming krel's draft/);
    const again = uploadsOf(gh, seen).map((x) => uploadedName(x.url));
    expect(again).not.to.include('kontain.tar.gz');
    expect(again).to.include('zz-big.bin');
    const rel = releasesOf(gh, 'v0.1-test');
    expect(rel).to.have.length(1);
    expect(rel[0]!.draft).to.equal(false);
    expect(rel[0]!.id).to.equal(draft.id);
    expect(rel[0]!.assets.map((a) => `${a.name}:${a.state}`).sort()).to.deep.equal([
      'SHA256SUMS:uploaded',
      'kontain.tar.gz:uploaded',
      'zz-big.bin:uploaded',
    ]);
  });

  it('SIGINT during uploads deletes the draft, exits 130 and leaves the old release untouched', async () => {
    const { gh } = emu;
    p.cleanup();
    p = makeProject({ store: 'github', uploadConcurrency: 1 });
    p.writeDist({ 'kontain.tar.gz': 'old\n' });
    expect((await run(['publish', '--commit', C1])).code).to.equal(0);
    const before = snapshotRelease(gh, 'v0.1-test');
    p.writeDist({ 'kontain.tar.gz': 'new\n', 'zz-big.bin': Buffer.alloc(256 * 1024 * 1024, 2) });
    const r = await runAndSignalWhen(p, ['publish', '--commit', C2], env(gh), 'SIGINT', () =>
      uploadStarted(gh, 'zz-big.bin'),
    );
    results.push(r);
    expect(r.code, r.stderr).to.equal(130);
    expect(r.stderr).to.match(
      /interrupted: uploads stopped, the draft \d+ was deleted, the old release \d+ is untouched/,
    );
    expect(repoOf(gh).releases.filter((x) => x.draft)).to.deep.equal([]);
    expect(snapshotRelease(gh, 'v0.1-test')).to.deep.equal(before);
  });

  it('a failure after the old release is deleted exits 4 with the exact state left, and a rerun finishes', async () => {
    const { gh } = emu;
    p.writeDist({ 'kontain.tar.gz': 'old\n' });
    expect((await run(['publish', '--commit', C1])).code).to.equal(0);
    p.writeDist({ 'kontain.tar.gz': 'new\n' });
    gh.faults.add({ route: 'repos/update-release', nth: 1, times: 100, kind: { status: 500 } });
    const r = await run(['publish', '--commit', C2]);
    expect(r.code).to.equal(4);
    expect(r.stderr).to.match(
      /old release \d+ deleted, draft \d+ complete but not published: rerun to finish/,
    );
    expect(releasesOf(gh, 'v0.1-test')).to.deep.equal([]);
    const draft = repoOf(gh).releases.find((x) => x.draft)!;
    expect(draft.assets.map((a) => a.state)).to.deep.equal(['uploaded', 'uploaded']);
    gh.faults.clear();
    const seen = gh.requests.length;
    // The failed run could not release its lease (every update-release failed): a zero lease lets the rerun resume.
    const again = await run(['publish', '--commit', C2], { KREL_DRAFT_LEASE_MS: '0' });
    expect(again.code, again.stderr).to.equal(0);
    expect(uploadsOf(gh, seen)).to.deep.equal([]);
    const rel = releasesOf(gh, 'v0.1-test');
    expect(rel.map((x) => [x.id, x.draft, x.targetCommitish])).to.deep.equal([[draft.id, false, C2]]);
    expect(repoOf(gh).refs.get('refs/tags/v0.1-test')).to.equal(C2);
  });

  it('a draft of the tag that krel did not make is refused with exit 3 and no write', async () => {
    const { gh } = emu;
    await emulatorStore(gh).createDraft({
      tag: 'v0.1-test',
      commit: C2,
      name: 'mine',
      body: 'by hand',
      prerelease: true,
    });
    const seen = gh.requests.length;
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await run(['publish', '--commit', C2]);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/krel did not make/);
    expect(gh.requests.slice(seen).filter((x) => x.write)).to.deep.equal([]);
  });

  it('a missing token is refused (exit 3) and a rejected one too, without printing it', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const none = await run(['publish'], { GITHUB_TOKEN: '' });
    expect(none.code).to.equal(3);
    expect(none.stderr).to.match(/no GitHub token: set GITHUB_RELEASE_TOKEN/);
    const wrong = 'ghp_wrongToken00000000000000000000000000';
    const bad = await run(['publish', '--commit', C2], { GITHUB_TOKEN: wrong });
    expect(bad.code).to.be.oneOf([3]);
    expectNoToken(bad, wrong);
    expect(emu.gh.writes()).to.deep.equal([]);
  });

  it('GITHUB_RELEASE_TOKEN is preferred over GITHUB_TOKEN', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await run(['publish', '--commit', C2], {
      GITHUB_RELEASE_TOKEN: emu.gh.token,
      GITHUB_TOKEN: 'ghp_wrongToken00000000000000000000000000',
    });
    expect(r.code, r.stderr).to.equal(0);
  });

  it('the release body is release-notes/<tag>.md when present, with the krel draft marker', async () => {
    execFileSync('sh', [
      '-c',
      `mkdir -p ${p.dir}/release-notes && printf 'Hand-written notes\\n' > ${p.dir}/release-notes/v0.9-beta.md`,
    ]);
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await run(['publish', '--commit', C2], { RELEASE_TAG: 'v0.9-beta' });
    expect(r.code, r.stderr).to.equal(0);
    const rel = releasesOf(emu.gh, 'v0.9-beta')[0]!;
    expect(rel.body).to.match(/^Hand-written notes\n/);
    expect(rel.body).to.include(`<!-- krel:draft tag=v0.9-beta commit=${C2} -->`);
    expect(rel).to.include({ prerelease: true });
  });
});

describe('krel delete and krel prune on GitHub (emulator)', function () {
  this.timeout(120_000);
  const emu = useGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km', commits: [C1, C2] }] });
  let p: Project;
  before(buildCli);
  beforeEach(() => (p = makeProject({ store: 'github' })));
  afterEach(() => p.cleanup());

  it('prune --keep 1 --tag deletes the older matching releases and their tags; other tags are untouched', async () => {
    const { gh } = emu;
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    for (const tag of ['v1.0-daily', 'v1.1-daily', 'v1.0.0']) {
      const r = await p.run(['publish', '--commit', C2], env(gh, { RELEASE_TAG: tag }));
      expect(r.code, r.stderr).to.equal(0);
      await new Promise((res) => setTimeout(res, 1100)); // distinct created_at seconds
    }
    const dry = await p.run(['prune', '--match', 'v*-daily', '--keep', '1', '--dry-run'], env(gh));
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/delete v1.0-daily/);
    const seen = gh.requests.length;
    const r = await p.run(['prune', '--match', 'v*-daily', '--keep', '1', '--tag'], env(gh));
    expect(r.code, r.stderr).to.equal(0);
    expectNoToken(r, TEST_TOKEN);
    expect(
      repoOf(gh)
        .releases.map((x) => x.tagName)
        .sort(),
    ).to.deep.equal(['v1.0.0', 'v1.1-daily']);
    expect(repoOf(gh).refs.has('refs/tags/v1.0-daily')).to.equal(false);
    expect(repoOf(gh).refs.has('refs/tags/v1.0.0')).to.equal(true);
    expect(
      gh.requests
        .slice(seen)
        .filter((x) => x.write)
        .map((x) => x.method),
    ).to.deep.equal(['DELETE', 'DELETE']);
    const refused = await p.run(['delete', 'v1.0.0'], env(gh));
    expect(refused.code).to.equal(3);
    expect(repoOf(gh).releases.map((x) => x.tagName)).to.include('v1.0.0');
  });
});

describe('krel publish to GitHub with generated notes and immutable releases (emulator)', function () {
  this.timeout(120_000);
  const emu = useGitHubEmulator({
    repos: [{ owner: 'kontainapp', repo: 'km', commits: [C1, C2], immutableReleases: true }],
  });
  let p: Project;
  beforeEach(() => (p = makeProject({ store: 'github', generateNotes: true })));
  afterEach(() => p.cleanup());

  it('a replace tag in a repository with immutable releases is refused with exit 3 and no write', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await p.run(['publish', '--commit', C2], env(emu.gh));
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/immutable.*burn the tag/);
    expect(emu.gh.writes()).to.deep.equal([]);
    expectNoToken(r, TEST_TOKEN);
  });

  it('without a notes file the body is generated by GitHub (generateNotes)', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await p.run(['publish', '--commit', C2], env(emu.gh, { RELEASE_TAG: 'v1.0.0' }));
    expect(r.code, r.stderr).to.equal(0);
    expect(emu.gh.requests.some((x) => x.route === 'repos/generate-release-notes')).to.equal(true);
    const rel = releasesOf(emu.gh, 'v1.0.0')[0]!;
    expect(rel).to.include({ draft: false, prerelease: false });
    expect(repoOf(emu.gh).latestReleaseId).to.equal(rel.id);
  });
});
