import { expect } from 'chai';
import { buildPublishPlan, type PublishFacts } from '../../src/publish/plan.js';
import { newRun } from '../../src/publish/lease.js';
import { formatLease, formatMarker } from '../../src/publish/marker.js';
import { formatPublishPlan } from '../../src/publish/render.js';
import type { StoredAsset, StoredRelease } from '../../src/store/types.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const A = {
  name: 'kontain.tar.gz',
  file: '/d/kontain.tar.gz',
  size: 10,
  sha256: 'a'.repeat(64),
  contentType: 'application/gzip',
};
const B = {
  name: 'SHA256SUMS',
  file: '/d/SHA256SUMS',
  size: 5,
  sha256: 'b'.repeat(64),
  contentType: 'text/plain',
};

function facts(over: Partial<Omit<PublishFacts, 'tag'>> & { tag?: string } = {}): PublishFacts {
  const { tag = 'v0.1-test', ...rest } = over;
  return {
    store: { description: 'dir /s', immutableReleases: false, canWrite: true },
    tag: { tag, source: 'RELEASE_TAG' },
    replacePatterns: ['v0.1-test', 'v*-daily'],
    latest: true,
    commit: { commit: C2, source: '--commit' },
    local: { dist: '/d', assets: [A, B], problems: [] },
    releases: [],
    tagCommit: undefined,
    notes: { generateNotes: false },
    ...rest,
  };
}

function asset(
  name: string,
  sha: string,
  size: number,
  state: StoredAsset['state'] = 'uploaded',
): StoredAsset {
  return { id: name, name, size, state, digest: `sha256:${sha}`, contentType: 'x', downloadUrl: `u/${name}` };
}

function release(over: Partial<StoredRelease>): StoredRelease {
  return {
    id: '1',
    tag: 'v0.1-test',
    name: 'v0.1-test',
    draft: false,
    prerelease: true,
    immutable: false,
    targetCommitish: C1,
    body: '',
    url: 'u',
    assets: [],
    ...over,
  };
}

const kinds = (p: ReturnType<typeof buildPublishPlan>): string[] => p.actions.map((s) => s.kind);

describe('publish plan', () => {
  it('a new tag is created: draft, uploads, recheck, publish, tag, then download checks', () => {
    const p = buildPublishPlan(facts({ tag: 'v0.9-beta' }));
    expect(p.action).to.equal('create');
    expect(kinds(p)).to.deep.equal([
      'create-draft',
      'upload',
      'upload',
      'recheck',
      'publish',
      'move-tag',
      'verify-download',
      'verify-download',
    ]);
    expect(p.flags).to.deep.equal({ prerelease: true, makeLatest: 'false' });
    expect(p.assets.map((a) => a.name)).to.deep.equal(['kontain.tar.gz', 'SHA256SUMS']);
  });

  it('a replace tag with a release: after every upload a recheck, then delete old, publish, and only then the tag moves', () => {
    const p = buildPublishPlan(facts({ releases: [release({ id: '7' })], tagCommit: C1 }));
    expect(p.action).to.equal('replace');
    const k = kinds(p);
    expect(k.lastIndexOf('upload')).to.be.lessThan(k.indexOf('recheck'));
    expect(k.indexOf('recheck')).to.be.lessThan(k.indexOf('delete-old'));
    expect(k.indexOf('delete-old')).to.be.lessThan(k.indexOf('publish'));
    expect(k.indexOf('publish')).to.be.lessThan(k.indexOf('move-tag'));
    expect(p.actions.find((s) => s.kind === 'recheck')).to.deep.equal({ kind: 'recheck', existing: '7' });
    expect(p.actions.find((s) => s.kind === 'move-tag')).to.deep.equal({
      kind: 'move-tag',
      from: C1,
      to: C2,
    });
  });

  it('a non-replace tag with a published release is refused with no actions', () => {
    const p = buildPublishPlan(facts({ tag: 'v0.9-beta', releases: [release({ tag: 'v0.9-beta' })] }));
    expect(p.action).to.equal('refuse');
    expect(p.actions).to.deep.equal([]);
    expect(p.refusals[0]).to.match(/already exists.*matches no replace pattern/);
  });

  it('a draft of the tag that krel did not make is refused, even for a replace tag', () => {
    const p = buildPublishPlan(facts({ releases: [release({ draft: true, body: 'hand made' })] }));
    expect(p.action).to.equal('refuse');
    expect(p.refusals[0]).to.match(/draft release of v0.1-test .* krel did not make/);
  });

  it("krel's own draft for the same tag and commit is resumed: matching assets kept, others replaced", () => {
    const own = release({
      id: '9',
      draft: true,
      body: `notes\n${formatMarker({ tag: 'v0.1-test', commit: C2 })}`,
      assets: [
        asset(A.name, A.sha256, A.size),
        asset(B.name, B.sha256, 2, 'starter'),
        asset('old.bin', 'c'.repeat(64), 1),
      ],
    });
    const p = buildPublishPlan(facts({ releases: [own] }));
    expect(p.action).to.equal('create');
    expect(p.actions.slice(0, 6)).to.deep.equal([
      { kind: 'resume-draft', releaseId: '9' },
      { kind: 'delete-asset', name: 'SHA256SUMS', reason: 'state starter' },
      { kind: 'delete-asset', name: 'old.bin', reason: 'not in dist/' },
      { kind: 'keep-asset', name: A.name },
      { kind: 'upload', name: B.name, size: B.size, sha256: B.sha256 },
      { kind: 'recheck', existing: null },
    ]);
  });

  it("krel's own draft from another commit is deleted before a fresh draft is made", () => {
    const own = release({ id: '5', draft: true, body: formatMarker({ tag: 'v0.1-test', commit: C1 }) });
    const p = buildPublishPlan(facts({ releases: [own] }));
    expect(kinds(p).slice(0, 2)).to.deep.equal(['delete-stale-draft', 'create-draft']);
  });

  it("another run's draft is stale only when its lease lapsed or it was released; a live one is never touched", () => {
    const run = newRun(60_000, new Date('2030-01-01T00:10:00Z'));
    const now = Date.parse('2030-01-01T00:10:00Z');
    const draft = (id: string, commit: string, beat: string, released = false): StoredRelease =>
      release({
        id,
        draft: true,
        body:
          formatMarker({ tag: 'v0.1-test', commit }) +
          '\n' +
          formatLease({ run: `r${id}`, started: '2030-01-01T00:00:00.000Z', beat, released }),
      });
    const live = draft('1', C1, '2030-01-01T00:09:30.000Z');
    const lapsed = draft('2', C1, '2030-01-01T00:08:59.000Z');
    const released = draft('3', C2, '2030-01-01T00:09:59.000Z', true);
    const liveSame = draft('4', C2, '2030-01-01T00:09:59.000Z');
    const p = buildPublishPlan(facts({ releases: [live, lapsed, released, liveSame], run, now }));
    expect(p.actions.filter((s) => s.kind === 'delete-stale-draft').map((s) => s.releaseId)).to.deep.equal([
      '2',
    ]);
    expect(p.actions).to.deep.include({ kind: 'resume-draft', releaseId: '3' });
    expect(p.warnings.join('\n')).to.match(
      /another krel publish of v0.1-test is under way \(draft 1 of run r1/,
    );
    expect(p.warnings.join('\n')).to.match(/draft 4 of run r4/);
    expect(p.run).to.equal(run);
    // Without a lease line, the store's creation time decides.
    const old = release({ id: '5', draft: true, body: formatMarker({ tag: 'v0.1-test', commit: C1 }) });
    const young = { ...old, id: '6', createdAt: '2030-01-01T00:09:30Z' };
    const q = buildPublishPlan(
      facts({ releases: [{ ...old, createdAt: '2030-01-01T00:08:00Z' }, young], run, now }),
    );
    expect(q.actions.filter((s) => s.kind === 'delete-stale-draft').map((s) => s.releaseId)).to.deep.equal([
      '5',
    ]);
  });

  it('a replace tag in a repository with immutable releases is refused: the first publish would burn the tag', () => {
    const p = buildPublishPlan(
      facts({ store: { description: 'github o/r', immutableReleases: true, canWrite: true } }),
    );
    expect(p.action).to.equal('refuse');
    expect(p.refusals.join('\n')).to.match(/immutable.*burn the tag/);
    const stable = buildPublishPlan(
      facts({ tag: 'v1.0.0', store: { description: 'github o/r', immutableReleases: true, canWrite: true } }),
    );
    expect(stable.action).to.equal('create');
    expect(stable.flags).to.deep.equal({ prerelease: false, makeLatest: 'true' });
  });

  it('an existing immutable release is never replaced', () => {
    const p = buildPublishPlan(facts({ releases: [release({ immutable: true })] }));
    expect(p.action).to.equal('refuse');
    expect(p.refusals.join('\n')).to.match(/is immutable/);
  });

  it('dist/ problems and read-only credentials refuse the plan', () => {
    const p = buildPublishPlan(
      facts({
        local: { dist: '/d', assets: [A], problems: ['kontain.tar.gz does not match SHA256SUMS'] },
        store: { description: 'github o/r', immutableReleases: false, canWrite: false },
      }),
    );
    expect(p.action).to.equal('refuse');
    expect(p.refusals).to.have.length(2);
  });

  it('a non-replace tag that already points at another commit is refused', () => {
    const p = buildPublishPlan(facts({ tag: 'v1.0.0', tagCommit: C1 }));
    expect(p.action).to.equal('refuse');
    expect(p.refusals[0]).to.match(/already points at 1{40}, not 2{40}/);
    expect(
      buildPublishPlan(facts({ tag: 'v1.0.0', tagCommit: C2 })).actions.map((s) => s.kind),
    ).not.to.include('move-tag');
  });

  it('notes: the file wins, else generated when configured, else the asset list', () => {
    expect(
      buildPublishPlan(
        facts({ notes: { file: { path: '/n/v0.1-test.md', text: 'hi' }, generateNotes: true } }),
      ).notes,
    ).to.deep.equal({ source: 'file', path: '/n/v0.1-test.md', body: 'hi' });
    expect(buildPublishPlan(facts({ notes: { generateNotes: true } })).notes.source).to.equal('generate');
    const list = buildPublishPlan(facts()).notes;
    expect(list.source).to.equal('list');
    expect(list.body).to.include(A.sha256);
  });

  it('the human plan names the action, every asset with size and digest, and every action', () => {
    const text = formatPublishPlan(buildPublishPlan(facts({ releases: [release({ id: '7' })] })));
    expect(text).to.match(/REPLACE/);
    expect(text).to.include(`sha256:${A.sha256}`);
    expect(text).to.match(/delete the old release 7/);
  });
});
