import { expect } from 'chai';
import { appendFileSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../src/errors/index.js';
import { formatSums, parseSums, sha256File } from '../../src/checksums/index.js';
import { applyMake, planMake } from '../../src/pack/make.js';
import type { ReleaseManifest } from '../../src/pack/types.js';
import { verifyDist } from '../../src/pack/verify.js';
import { makeTree, SAMPLE, SAMPLE_ARCHIVES, writeConfig, type Fixture } from './fixture.js';

async function make(fx: Fixture, out: string): Promise<void> {
  const plan = await planMake(writeConfig(fx, SAMPLE_ARCHIVES), { env: { SOURCE_DATE_EPOCH: '1' }, out });
  await applyMake(plan, { toolVersion: '1.0.0' });
}

describe('pack/verify', () => {
  let fx: Fixture;
  let dist: string;
  beforeEach(async () => {
    fx = makeTree(SAMPLE);
    dist = path.join(fx.root, 'dist');
    await make(fx, dist);
  });
  afterEach(() => fx.cleanup());

  it('a fresh output verifies with no problems', async () => {
    const r = await verifyDist(dist);
    expect(r.problems).to.deep.equal([]);
    expect(r.verified).to.have.length(4);
  });

  it('a tampered archive is reported against SHA256SUMS and the manifest, one line each', async () => {
    appendFileSync(path.join(dist, 'kontain-python.tar.gz'), 'x');
    const r = await verifyDist(dist);
    expect(r.problems.filter((p) => p.startsWith('kontain-python.tar.gz: sha256 is '))).to.have.length(2);
    expect(r.problems).to.include.members([
      'kontain-python.tar.gz: size is ' +
        String(readFileSync(path.join(dist, 'kontain-python.tar.gz')).length) +
        ', release-manifest.json says ' +
        String(readFileSync(path.join(dist, 'kontain-python.tar.gz')).length - 1),
    ]);
    expect(
      r.problems.every((p) => !p.startsWith('kontain.tar.gz') && !p.startsWith('kontain-node')),
    ).to.equal(true);
  });

  it('an archive swapped with consistent checksums is caught by re-listing its entries', async () => {
    writeFileSync(path.join(fx.source, 'payloads/node/bin/node.km'), 'other node\n');
    const other = path.join(fx.root, 'other');
    await make(fx, other);
    copyFileSync(path.join(other, 'kontain-node.tar.gz'), path.join(dist, 'kontain-node.tar.gz'));
    const fresh = await sha256File(path.join(dist, 'kontain-node.tar.gz'));
    const manifestFile = path.join(dist, 'release-manifest.json');
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as ReleaseManifest;
    Object.assign(
      m.archives.find((a) => a.name === 'kontain-node.tar.gz')!,
      fresh,
    );
    writeFileSync(manifestFile, JSON.stringify(m));
    const manifestSum = (await sha256File(manifestFile)).sha256;
    const resum = { 'kontain-node.tar.gz': fresh.sha256, 'release-manifest.json': manifestSum } as Record<
      string,
      string
    >;
    const sums = parseSums(readFileSync(path.join(dist, 'SHA256SUMS'), 'utf8')).sums;
    writeFileSync(
      path.join(dist, 'SHA256SUMS'),
      formatSums(sums.map((s) => ({ ...s, sha256: resum[s.name] ?? s.sha256 }))),
    );
    const r = await verifyDist(dist);
    expect(r.problems).to.have.length(1);
    expect(r.problems[0]).to.match(
      /^kontain-node\.tar\.gz: "payloads\/node\/bin\/node\.km": size 11, manifest 5; sha256 /,
    );
  });

  it('missing and unlisted files are reported', async () => {
    rmSync(path.join(dist, 'kontain.tar.gz'));
    writeFileSync(path.join(dist, 'stray.txt'), 'x');
    const r = await verifyDist(dist);
    expect(r.problems).to.include.members([
      'kontain.tar.gz: listed in SHA256SUMS but missing',
      'stray.txt: present but not listed in SHA256SUMS',
      'kontain.tar.gz: listed in release-manifest.json but missing',
    ]);
  });

  it('a directory that krel did not make is a usage error', async () => {
    const err = await verifyDist(fx.source).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
  });
});
