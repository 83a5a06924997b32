/**
 * applyPublishPlan in-process on the real local store, with faults injected around it: digest mismatches
 * after upload and a public download that is wrong at first (propagation).
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ApplyError, RefusedError } from '../../src/errors/index.js';
import { Logger } from '../../src/log/logger.js';
import { applyPublishPlan } from '../../src/publish/apply.js';
import { gatherPublishFacts } from '../../src/publish/facts.js';
import { testContext } from '../support/context.js';
import { parseLease } from '../../src/publish/marker.js';
import { buildPublishPlan } from '../../src/publish/plan.js';
import { loadConfig } from '../../src/config/load.js';
import { createDirStore } from '../../src/store/dir-store.js';
import type { ReleaseStore } from '../../src/store/types.js';
import { type Project, makeProject } from './project.js';

const FAST = { verifyRetry: { attempts: 3, baseMs: 1 } };

describe('publish executor (local store, injected faults)', () => {
  let p: Project;
  let root: string;
  let lines: string[];
  let logger: Logger;
  beforeEach(() => {
    p = makeProject({ store: 'dir:store' });
    root = path.join(p.dir, 'store');
    p.writeDist({ 'kontain.tar.gz': 'core\n' });
    lines = [];
    logger = new Logger({ write: (l) => lines.push(l), ci: 'none' });
  });
  afterEach(() => p.cleanup());

  async function planFor(store: ReleaseStore, env: NodeJS.ProcessEnv = {}) {
    const config = await loadConfig(p.config);
    const facts = await gatherPublishFacts(
      testContext(config, { env: { RELEASE_TAG: 'v0.1-test', ...env }, store, logger }),
    );
    return buildPublishPlan(facts);
  }

  /** The real store, with some methods replaced. */
  function around(store: ReleaseStore, over: Partial<ReleaseStore>): ReleaseStore {
    return Object.assign(Object.create(store) as ReleaseStore, over);
  }

  const run = (store: ReleaseStore, plan: Awaited<ReturnType<typeof planFor>>) =>
    applyPublishPlan(plan, {
      store,
      logger,
      signal: new AbortController().signal,
      concurrency: 2,
      progress: false,
      ...FAST,
    });

  it('an upload whose digest is wrong is deleted and uploaded once more', async () => {
    const real = createDirStore({ root, repo: 'kontainapp/km' });
    let corrupt = 1;
    const store = around(real, {
      uploadAsset: async (r, req) => {
        const a = await real.uploadAsset(r, req);
        return req.name === 'kontain.tar.gz' && corrupt-- > 0
          ? { ...a, digest: `sha256:${'0'.repeat(64)}` }
          : a;
      },
    });
    const result = await run(store, await planFor(store));
    expect(result.action).to.equal('create');
    expect(lines.join('\n')).to.match(
      /kontain.tar.gz: uploaded asset is wrong .*; deleted it, uploading again/,
    );
  });

  it('a digest that is wrong twice fails (exit 4), the draft is deleted and nothing is published', async () => {
    const real = createDirStore({ root, repo: 'kontainapp/km' });
    const store = around(real, {
      uploadAsset: async (r, req) => ({
        ...(await real.uploadAsset(r, req)),
        digest: `sha256:${'0'.repeat(64)}`,
      }),
    });
    let err: unknown;
    await run(store, await planFor(store)).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ApplyError);
    expect((err as Error).message).to.match(
      /wrong both times.*nothing was published, the draft \S+ was deleted/,
    );
    expect(readdirSync(path.join(root, 'kontainapp/km/releases/download'))).to.deep.equal([]);
  });

  it('a public download that is wrong at first is checked again until it matches (propagation)', async () => {
    const real = createDirStore({ root, repo: 'kontainapp/km' });
    let stale = 2;
    const store = around(real, {
      download: async (a, signal) =>
        stale-- > 0 ? Readable.from([Buffer.from('old bytes')]) : real.download(a, signal),
    });
    const result = await run(store, await planFor(store));
    expect(result.tag).to.equal('v0.1-test');
    expect(stale).to.be.below(0);
  });

  it('a public download that never matches fails with exit 4 and says the release is published', async () => {
    const real = createDirStore({ root, repo: 'kontainapp/km' });
    const store = around(real, { download: () => Promise.resolve(Readable.from([Buffer.from('bad')])) });
    let err: unknown;
    await run(store, await planFor(store)).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ApplyError);
    expect((err as Error).message).to.match(
      /^published file:.*but kontain.tar.gz at .* does not download correctly/,
    );
  });

  it("a run that finds another run's release published at its recheck stands down (exit 3), deleting only its own draft", async () => {
    const store = createDirStore({ root, repo: 'kontainapp/km' });
    const plan = await planFor(store);
    // Another run publishes first, after this run's plan was made.
    const other = await store.createDraft({
      tag: 'x',
      commit: p.commits[0],
      name: 'v0.1-test',
      body: '',
      prerelease: true,
    });
    await store.publish(other, { tag: 'v0.1-test', prerelease: true, makeLatest: 'false' });
    let err: unknown;
    await run(store, plan).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(RefusedError);
    expect((err as Error).message).to.match(
      /^another run published v0.1-test first \(.* at [0-9a-f]{40}\): this run stood down \(the draft \S+ was deleted; nothing of the other run was touched\)$/,
    );
    const all = await store.listReleases();
    expect(all.map((r) => [r.id, r.draft])).to.deep.equal([[other.id, false]]);
  });

  it('a publish that fails after the old release is deleted releases its lease: a rerun resumes the draft at once', async () => {
    const real = createDirStore({ root, repo: 'kontainapp/km' });
    const failing = around(real, { publish: () => Promise.reject(new Error('store down')) });
    let err: unknown;
    await run(failing, await planFor(failing)).catch((e: unknown) => (err = e));
    expect((err as Error).message).to.match(/complete but not published: rerun to finish/);
    const left = (await real.listReleases())[0]!;
    expect(parseLease(left.body)?.released).to.equal(true);
    const again = await planFor(real);
    expect(again.actions).to.deep.include({ kind: 'resume-draft', releaseId: left.id });
    const result = await run(real, again);
    expect(result.id).to.equal(left.id);
  });

  it("while uploads run, a heartbeat refreshes the draft's lease every third of the lease", async () => {
    const real = createDirStore({ root, repo: 'kontainapp/km' });
    const beats: string[] = [];
    const store = around(real, {
      updateBody: async (r, body) => {
        beats.push(parseLease(body)!.beat);
        await real.updateBody(r, body);
      },
      uploadAsset: async (r, req) => {
        await new Promise((resolve) => setTimeout(resolve, 3500));
        return real.uploadAsset(r, req);
      },
    });
    await run(store, await planFor(store, { KREL_DRAFT_LEASE_MS: '3000' }));
    expect(beats.length).to.be.greaterThanOrEqual(2);
    expect(new Set(beats).size).to.equal(beats.length);
  });
});
