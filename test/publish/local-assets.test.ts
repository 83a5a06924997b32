import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../src/errors/index.js';
import { resolveCommit } from '../../src/context/commit.js';
import { MAX_ASSETS, gatherLocalAssets } from '../../src/publish/local-assets.js';
import { parseSums } from '../../src/checksums/index.js';
import { sha256 } from './project.js';

describe('publish preflight: local assets and commit', () => {
  let dist: string;
  beforeEach(() => {
    dist = mkdtempSync(path.join(tmpdir(), 'krel-dist-'));
  });
  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  it('assets are the files SHA256SUMS lists plus SHA256SUMS, each re-hashed, in listed order', async () => {
    writeFileSync(path.join(dist, 'b.tar.gz'), 'b');
    writeFileSync(path.join(dist, 'release-manifest.json'), '{}');
    writeFileSync(path.join(dist, 'unlisted.txt'), 'ignored');
    writeFileSync(
      path.join(dist, 'SHA256SUMS'),
      `${sha256('b')}  b.tar.gz\n${sha256('{}')} *release-manifest.json\n`,
    );
    const l = await gatherLocalAssets(dist);
    expect(l.problems).to.deep.equal([]);
    expect(l.assets.map((a) => [a.name, a.size, a.contentType])).to.deep.equal([
      ['b.tar.gz', 1, 'application/gzip'],
      ['release-manifest.json', 2, 'application/json'],
      ['SHA256SUMS', 2 * 67 + 'b.tar.gz'.length + 'release-manifest.json'.length, 'text/plain'],
    ]);
  });

  it('works from SHA256SUMS alone when there is no release manifest', async () => {
    writeFileSync(path.join(dist, 'a.tar.gz'), 'a');
    writeFileSync(path.join(dist, 'SHA256SUMS'), `${sha256('a')}  a.tar.gz\n`);
    const l = await gatherLocalAssets(dist);
    expect(l.problems).to.deep.equal([]);
    expect(l.assets.map((a) => a.name)).to.deep.equal(['a.tar.gz', 'SHA256SUMS']);
  });

  it('a missing file, a mismatch and a malformed line are each one problem line', async () => {
    writeFileSync(path.join(dist, 'a.tar.gz'), 'changed');
    writeFileSync(
      path.join(dist, 'SHA256SUMS'),
      `${sha256('a')}  a.tar.gz\n${sha256('x')}  gone.tar.gz\nnot a line\n`,
    );
    const l = await gatherLocalAssets(dist);
    expect(l.problems).to.have.length(3);
    expect(l.problems.join('\n'))
      .to.match(/line 3 is not/)
      .and.match(/gone.tar.gz is listed .* but missing/)
      .and.match(/a.tar.gz does not match/);
  });

  it(`more than ${MAX_ASSETS} assets are refused`, async () => {
    const lines: string[] = [];
    mkdirSync(dist, { recursive: true });
    for (let i = 0; i < MAX_ASSETS; i++) {
      writeFileSync(path.join(dist, `f${i}`), '');
      lines.push(`${sha256('')}  f${i}\n`);
    }
    writeFileSync(path.join(dist, 'SHA256SUMS'), lines.join(''));
    const l = await gatherLocalAssets(dist);
    expect(l.problems).to.deep.equal([`${MAX_ASSETS + 1} assets: a release holds at most ${MAX_ASSETS}`]);
  });

  it('SHA256SUMS lines parse in both text and binary mode', () => {
    const h = 'A'.repeat(64);
    expect(parseSums(`${h}  x\n${h} *y\r\n`).sums).to.deep.equal([
      { sha256: 'a'.repeat(64), name: 'x' },
      { sha256: 'a'.repeat(64), name: 'y' },
    ]);
  });

  it('the commit: --commit, else GITHUB_SHA, else BUILD_SOURCEVERSION, else git HEAD; not hex is a usage error', async () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    expect(await resolveCommit(a, { GITHUB_SHA: b }, dist)).to.deep.equal({ commit: a, source: '--commit' });
    expect(await resolveCommit(undefined, { GITHUB_SHA: b, BUILD_SOURCEVERSION: a }, dist)).to.deep.equal({
      commit: b,
      source: 'GITHUB_SHA',
    });
    expect(await resolveCommit(undefined, { BUILD_SOURCEVERSION: a }, dist)).to.deep.equal({
      commit: a,
      source: 'BUILD_SOURCEVERSION',
    });
    let err: unknown;
    await resolveCommit(undefined, {}, dist).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.match(/not a git checkout; pass --commit/);
    await resolveCommit('main', {}, dist).catch((e: unknown) => (err = e));
    expect((err as Error).message).to.match(/"main" \(from --commit\) is not a hex commit SHA/);
  });
});
