/** `krel publish`, `delete` and `prune` against the local release store, through the real CLI. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDirStore } from '../../src/store/dir-store.js';
import { formatMarker } from '../../src/publish/marker.js';
import {
  type Project,
  buildCli,
  makeProject,
  runAndSignalWhen,
  sha256,
  snapshotTree,
} from '../publish/project.js';

const REL = 'kontainapp/km/releases';

describe('krel publish to a local store (dir:PATH)', function () {
  this.timeout(120_000);
  let p: Project;
  let store: string;
  before(buildCli);
  beforeEach(() => {
    p = makeProject({ store: 'dir:store' });
    store = path.join(p.dir, 'store');
  });
  afterEach(() => p.cleanup());

  const dl = (tag: string, name = ''): string => path.join(store, REL, 'download', tag, name);
  const drafts = (): string[] =>
    existsSync(path.join(store, REL, 'download'))
      ? readdirSync(path.join(store, REL, 'download')).filter((e) => e.startsWith('.'))
      : [];

  it('publishing v0.1-test twice leaves one release with the second assets and the tag on the new commit', async () => {
    p.writeDist({ 'kontain.tar.gz': 'first build\n', 'old-only.bin': 'gone next time\n' });
    const r1 = await p.run(['publish', '--commit', p.commits[0]], { RELEASE_TAG: 'v0.1-test' });
    expect(r1.code, r1.stderr).to.equal(0);
    expect(r1.stdout.trim()).to.equal(`file://${dl('v0.1-test')}/`);
    p.writeDist({ 'kontain.tar.gz': 'second build\n' });
    const r2 = await p.run(['publish', '--commit', p.commits[1]], { RELEASE_TAG: 'v0.1-test' });
    expect(r2.code, r2.stderr).to.equal(0);
    expect(readdirSync(dl('')).filter((e) => !e.startsWith('.'))).to.deep.equal(['v0.1-test']);
    expect(
      readdirSync(dl('v0.1-test'))
        .filter((e) => !e.startsWith('.'))
        .sort(),
    ).to.deep.equal(['SHA256SUMS', 'kontain.tar.gz']);
    expect(readFileSync(dl('v0.1-test', 'kontain.tar.gz'), 'utf8')).to.equal('second build\n');
    expect(readFileSync(path.join(store, 'kontainapp/km/refs/tags/v0.1-test'), 'utf8').trim()).to.equal(
      p.commits[1],
    );
    const meta = JSON.parse(readFileSync(dl('v0.1-test', '.krel-release.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(meta).to.include({
      tag: 'v0.1-test',
      draft: false,
      prerelease: true,
      targetCommitish: p.commits[1],
    });
    expect(drafts()).to.deep.equal([]);
  });

  it('publish does exactly the actions its --dry-run --json plan lists, in order (create, then replace)', async () => {
    type Plan = { version: number; kind: string; action: string; actions: { kind: string }[] };
    const publishAsPlanned = async (commit: string, action: string, kinds: string[]): Promise<void> => {
      const args = ['publish', '--json', '--commit', commit];
      const dry = await p.run([...args, '--dry-run'], { RELEASE_TAG: 'v0.1-test' });
      expect(dry.code, dry.stderr).to.equal(0);
      const plan = JSON.parse(dry.stdout) as Plan;
      expect(plan).to.include({ version: 1, kind: 'publish', action });
      expect(plan.actions.map((a) => a.kind)).to.deep.equal(kinds);
      const applied = await p.run(args, { RELEASE_TAG: 'v0.1-test' });
      expect(applied.code, applied.stderr).to.equal(0);
      expect((JSON.parse(applied.stdout) as { done: unknown[] }).done).to.deep.equal(plan.actions);
    };
    const uploads = ['upload', 'upload'];
    const checks = ['verify-download', 'verify-download'];
    p.writeDist({ 'kontain.tar.gz': 'planned create\n' });
    await publishAsPlanned(p.commits[0], 'create', [
      'create-draft',
      ...uploads,
      'recheck',
      'publish',
      'move-tag',
      ...checks,
    ]);
    p.writeDist({ 'kontain.tar.gz': 'planned replace\n' });
    await publishAsPlanned(p.commits[1], 'replace', [
      'create-draft',
      ...uploads,
      'recheck',
      'delete-old',
      'publish',
      'move-tag',
      ...checks,
    ]);
    expect(readFileSync(dl('v0.1-test', 'kontain.tar.gz'), 'utf8')).to.equal('planned replace\n');
  });

  it('a non-replace tag that already has a release is refused with exit 3 and the store unchanged', async () => {
    p.writeDist({ 'kontain.tar.gz': 'beta\n' });
    const r1 = await p.run(['publish'], { RELEASE_TAG: 'v0.9-beta' });
    expect(r1.code, r1.stderr).to.equal(0);
    const before = snapshotTree(store);
    p.writeDist({ 'kontain.tar.gz': 'beta again\n' });
    const r2 = await p.run(['publish'], { RELEASE_TAG: 'v0.9-beta' });
    expect(r2.code).to.equal(3);
    expect(r2.stderr).to.match(/release v0.9-beta already exists .* matches no replace pattern/);
    expect(snapshotTree(store)).to.deep.equal(before);
  });

  it('a tag without the leading v is refused with exit 2 and nothing is written', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await p.run(['publish'], { RELEASE_TAG: '0.9-beta' });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/must start with "v"/);
    expect(existsSync(store)).to.equal(false);
  });

  it('the commit defaults to git HEAD of the config directory; the tag to the default v0.1-test', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await p.run(['publish', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { tag: string; action: string };
    expect(out).to.include({ tag: 'v0.1-test', action: 'create' });
    expect(readFileSync(path.join(store, 'kontainapp/km/refs/tags/v0.1-test'), 'utf8').trim()).to.equal(
      p.commits[1],
    );
  });

  it('--dry-run prints the plan with every asset digest and writes nothing; --json emits it', async () => {
    p.writeDist({ 'kontain.tar.gz': 'dry\n' });
    const human = await p.run(['publish', '--dry-run']);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/CREATE/);
    expect(human.stdout).to.include(`sha256:${sha256('dry\n')}`);
    const json = await p.run(['publish', '--dry-run', '--json']);
    expect(json.code).to.equal(0);
    const plan = JSON.parse(json.stdout) as {
      action: string;
      assets: { name: string }[];
      actions: { kind: string }[];
    };
    expect(plan.action).to.equal('create');
    expect(plan.assets.map((a) => a.name)).to.deep.equal(['kontain.tar.gz', 'SHA256SUMS']);
    expect(plan.actions[0]!.kind).to.equal('create-draft');
    expect(existsSync(store)).to.equal(false);
  });

  it('--json prints url, id, tag, action and every asset with size, sha256 and a URL that downloads it; CI gets a job summary', async () => {
    p.writeDist({ 'kontain.tar.gz': 'json\n' });
    const r = await p.run(['publish', '--json'], {
      RELEASE_TAG: 'v1.0.0',
      GITHUB_STEP_SUMMARY: path.join(p.dir, 'summary.md'),
    });
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as {
      url: string;
      id: string;
      tag: string;
      action: string;
      assets: { name: string; size: number; sha256: string; url: string }[];
    };
    expect(out).to.include({ tag: 'v1.0.0', action: 'create' });
    expect(out.id).to.be.a('string');
    for (const a of out.assets) expect(sha256(readFileSync(fileURLToPath(a.url)))).to.equal(a.sha256);
    // In GitHub Actions the job summary gets the release URL and the asset table.
    const summary = readFileSync(path.join(p.dir, 'summary.md'), 'utf8');
    expect(summary)
      .to.include(`### krel publish: v1.0.0 (create)`)
      .and.include(out.url)
      .and.include(sha256('json\n'));
    const meta = JSON.parse(readFileSync(dl('v1.0.0', '.krel-release.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(meta).to.include({ prerelease: false, makeLatest: 'true' });
  });

  it('dist/ not matching SHA256SUMS is refused with exit 3 before anything is written', async () => {
    p.writeDist({ 'kontain.tar.gz': 'good\n' });
    execFileSync('sh', ['-c', `echo tampered > ${path.join(p.dist, 'kontain.tar.gz')}`]);
    const r = await p.run(['publish']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/kontain.tar.gz does not match SHA256SUMS/);
    expect(existsSync(store)).to.equal(false);
  });

  it('--store dir:PATH on the command line overrides release.store of krel.json', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const r = await p.run(['publish', '--store', 'dir:elsewhere']);
    expect(r.code, r.stderr).to.equal(0);
    expect(existsSync(path.join(p.dir, 'elsewhere', REL, 'download/v0.1-test/kontain.tar.gz'))).to.equal(
      true,
    );
    expect(existsSync(store)).to.equal(false);
    const bad = await p.run(['publish', '--store', 'ftp:x']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/expected "github" or "dir:PATH"/);
  });

  it('a missing SHA256SUMS is a usage error (exit 2) that says to run krel make', async () => {
    const r = await p.run(['publish']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/no SHA256SUMS in .*krel make/);
  });

  it('an asset of 2 GiB or more is refused at once, before hashing', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    execFileSync('truncate', ['-s', '2G', path.join(p.dist, 'huge.bin')]);
    execFileSync('sh', ['-c', `echo "${'0'.repeat(64)}  huge.bin" >> ${path.join(p.dist, 'SHA256SUMS')}`]);
    const started = Date.now();
    const r = await p.run(['publish']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/huge.bin is 2147483648 bytes: .*under 2 GiB/);
    expect(Date.now() - started).to.be.lessThan(20_000);
    expect(existsSync(store)).to.equal(false);
  });

  it('a draft of the tag that krel did not make is refused with exit 3 and left alone', async () => {
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    const s = createDirStore({ root: store, repo: 'kontainapp/km' });
    await s.createDraft({
      tag: 'v0.1-test',
      commit: p.commits[1],
      name: 'hand made',
      body: 'by a person',
      prerelease: true,
    });
    const before = snapshotTree(store);
    const r = await p.run(['publish']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/draft release of v0.1-test .* krel did not make/);
    expect(snapshotTree(store)).to.deep.equal(before);
  });

  it("a rerun resumes krel's leftover draft: the matching asset is kept, the partial one redone", async () => {
    p.writeDist({ 'kontain.tar.gz': 'core\n', 'kontain-node.tar.gz': 'node\n' });
    const s = createDirStore({ root: store, repo: 'kontainapp/km' });
    const draft = await s.createDraft({
      tag: 'v0.1-test',
      commit: p.commits[1],
      name: 'v0.1-test',
      body: formatMarker({ tag: 'v0.1-test', commit: p.commits[1] }),
      prerelease: true,
    });
    const core = path.join(p.dist, 'kontain.tar.gz');
    await s.uploadAsset(draft, {
      name: 'kontain.tar.gz',
      file: core,
      size: 5,
      sha256: sha256('core\n'),
      contentType: 'application/gzip',
    });
    // A crashed upload: half a file in the draft's upload area.
    execFileSync('sh', [
      '-c',
      `mkdir -p ${dl(`.draft-${draft.id}`, '.upload')} && printf no > ${dl(`.draft-${draft.id}`, '.upload/kontain-node.tar.gz')}`,
    ]);
    const kept = statSync(dl(`.draft-${draft.id}`, 'kontain.tar.gz')).ino;
    // The leftover draft has no live run behind it; a zero lease says so at once (KREL_DRAFT_LEASE_MS).
    const r = await p.run(['publish'], { KREL_DRAFT_LEASE_MS: '0' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/resuming krel's draft/);
    expect(r.stderr).to.match(/kontain.tar.gz: already uploaded, digest matches/);
    expect(statSync(dl('v0.1-test', 'kontain.tar.gz')).ino).to.equal(kept);
    expect(readFileSync(dl('v0.1-test', 'kontain-node.tar.gz'), 'utf8')).to.equal('node\n');
    expect(drafts()).to.deep.equal([]);
  });

  it('SIGINT during uploads stops, deletes the draft, exits 130 and leaves the old release as it was', async () => {
    p.writeDist({ 'kontain.tar.gz': 'old\n' });
    expect((await p.run(['publish', '--commit', p.commits[0]])).code).to.equal(0);
    const before = snapshotTree(store);
    p.writeDist({ 'kontain.tar.gz': 'new\n', 'zz-big.bin': Buffer.alloc(256 * 1024 * 1024, 7) });
    const uploading = (): boolean => drafts().some((d) => existsSync(dl(d, '.upload/zz-big.bin')));
    const r = await runAndSignalWhen(p, ['publish'], {}, 'SIGINT', uploading);
    expect(r.code, r.stderr).to.equal(130);
    expect(r.stderr).to.match(/draft .* was deleted/);
    expect(snapshotTree(store)).to.deep.equal(before);
  });
});

describe('krel delete and krel prune on a local store', function () {
  this.timeout(120_000);
  let p: Project;
  let store: string;
  beforeEach(async () => {
    p = makeProject({ store: 'dir:store' });
    store = path.join(p.dir, 'store');
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    for (const tag of ['v1.0-daily', 'v1.1-daily', 'v1.2-daily', 'v0.1-test', 'v1.0.0']) {
      const r = await p.run(['publish'], { RELEASE_TAG: tag });
      expect(r.code, r.stderr).to.equal(0);
    }
  });
  afterEach(() => p.cleanup());
  const tags = (): string[] =>
    readdirSync(path.join(store, REL, 'download'))
      .filter((e) => !e.startsWith('.'))
      .sort();

  it('prune --keep 1 deletes all but the newest matching release and nothing else', async () => {
    const dry = await p.run(['prune', '--match', 'v*-daily', '--keep', '1', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).to.equal(0);
    const plan = JSON.parse(dry.stdout) as { actions: { kind: string; tag: string }[]; keep: string[] };
    expect(plan.actions.map((d) => d.tag).sort()).to.deep.equal(['v1.0-daily', 'v1.1-daily']);
    expect(plan.keep).to.deep.equal(['v1.2-daily']);
    expect(tags()).to.have.length(5);
    const r = await p.run(['prune', '--match', 'v*-daily', '--keep', '1', '--tag']);
    expect(r.code, r.stderr).to.equal(0);
    expect(tags()).to.deep.equal(['v0.1-test', 'v1.0.0', 'v1.2-daily']);
    expect(existsSync(path.join(store, 'kontainapp/km/refs/tags/v1.0-daily'))).to.equal(false);
  });

  it('prune and delete do exactly the actions their --dry-run --json plan lists, in order', async () => {
    type Plan = { version: number; kind: string; actions: { kind: string; tag: string }[] };
    const args = ['prune', '--match', 'v*-daily', '--keep', '1', '--tag', '--json'];
    const dry = await p.run([...args, '--dry-run']);
    expect(dry.code, dry.stderr).to.equal(0);
    const plan = JSON.parse(dry.stdout) as Plan;
    expect(plan).to.include({ version: 1, kind: 'prune' });
    expect(plan.actions.map((a) => a.kind)).to.deep.equal([
      'delete-release',
      'delete-tag',
      'delete-release',
      'delete-tag',
    ]);
    const applied = await p.run(args);
    expect(applied.code, applied.stderr).to.equal(0);
    expect((JSON.parse(applied.stdout) as { done: unknown[] }).done).to.deep.equal(plan.actions);

    const delArgs = ['delete', 'v0.1-test', '--tag', '--json'];
    const delPlan = JSON.parse((await p.run([...delArgs, '--dry-run'])).stdout) as Plan;
    expect(delPlan).to.include({ version: 1, kind: 'delete' });
    expect(delPlan.actions.map((a) => a.kind)).to.deep.equal(['delete-release', 'delete-tag']);
    const deleted = await p.run(delArgs);
    expect(deleted.code, deleted.stderr).to.equal(0);
    expect((JSON.parse(deleted.stdout) as { done: unknown[] }).done).to.deep.equal(delPlan.actions);
  });

  it('prune refuses (exit 3, nothing deleted) when a matching tag is not a replace tag, unless --force', async () => {
    const r = await p.run(['prune', '--match', 'v1.*', '--keep', '0']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/v1.0.0 matches no replace pattern/);
    expect(tags()).to.have.length(5);
  });

  it('delete TAG removes the release, and with --tag its tag; a tag outside the replace patterns is refused', async () => {
    const refused = await p.run(['delete', 'v1.0.0']);
    expect(refused.code).to.equal(3);
    expect(tags()).to.include('v1.0.0');
    const r = await p.run(['delete', 'v0.1-test', '--tag']);
    expect(r.code, r.stderr).to.equal(0);
    expect(tags()).not.to.include('v0.1-test');
    expect(existsSync(path.join(store, 'kontainapp/km/refs/tags/v0.1-test'))).to.equal(false);
    const forced = await p.run(['delete', 'v1.0.0', '--force']);
    expect(forced.code, forced.stderr).to.equal(0);
    expect(tags()).not.to.include('v1.0.0');
    const again = await p.run(['delete', 'v0.1-test']);
    expect(again.code).to.equal(3);
    expect(again.stderr).to.match(/nothing to delete/);
  });
});
