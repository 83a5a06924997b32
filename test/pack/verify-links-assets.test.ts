import { expect } from 'chai';
import { appendFileSync, chmodSync, linkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyMake, planMake } from '../../src/pack/make.js';
import type { ReleaseManifest } from '../../src/pack/types.js';
import { verifyDist } from '../../src/pack/verify.js';
import { sha256File } from '../../src/checksums/index.js';
import { makeTree, sh, writeConfig, type Fixture } from './fixture.js';

const ENV = { SOURCE_DATE_EPOCH: '1700000000' };

describe('pack/verify: hard links and raw assets', () => {
  let fx: Fixture;
  let dist: string;
  let manifest: ReleaseManifest;
  beforeEach(async () => {
    fx = makeTree({ 'bin/krun': { content: '#!/bin/sh\n', mode: 0o755 } });
    linkSync(path.join(fx.source, 'bin/krun'), path.join(fx.source, 'bin/krun-label-trigger'));
    writeFileSync(path.join(fx.root, 'kkm.run'), '#!/bin/sh\necho kkm\n');
    chmodSync(path.join(fx.root, 'kkm.run'), 0o700);
    const config = writeConfig(fx, [{ name: 'kontain.tar.gz', files: ['bin'] }], {
      assets: [{ name: 'kkm.run', from: 'kkm.run' }],
    });
    dist = path.join(fx.root, 'dist');
    manifest = await applyMake(await planMake(config, { env: ENV, out: dist }), { toolVersion: '1' });
  });
  afterEach(() => fx.cleanup());

  it('a hard link is recorded in the manifest and the archive verifies', async () => {
    expect(manifest.archives[0]!.entries.find((e) => e.path === 'bin/krun-label-trigger')).to.deep.equal({
      path: 'bin/krun-label-trigger',
      type: 'hardlink',
      size: 0,
      mode: '0755',
      linkname: 'bin/krun',
    });
    expect((await verifyDist(dist)).problems).to.deep.equal([]);
  });

  it('a raw asset is copied as is, listed in SHA256SUMS and the manifest, and verified', async () => {
    const sum = await sha256File(path.join(dist, 'kkm.run'));
    expect(manifest.assets).to.deep.equal([{ name: 'kkm.run', ...sum, mode: '0755' }]);
    expect(sh('sha256sum -c SHA256SUMS', dist)).to.include('kkm.run: OK');
    const r = await verifyDist(dist);
    expect(r.problems).to.deep.equal([]);
    expect(r.verified).to.include('kkm.run');
  });

  it('a tampered raw asset is reported against SHA256SUMS and the manifest', async () => {
    appendFileSync(path.join(dist, 'kkm.run'), 'x');
    const now = (await sha256File(path.join(dist, 'kkm.run'))).sha256;
    const was = manifest.assets![0]!;
    expect((await verifyDist(dist)).problems).to.deep.equal([
      `kkm.run: sha256 is ${now}, SHA256SUMS says ${was.sha256}`,
      `kkm.run: sha256 is ${now}, release-manifest.json says ${was.sha256}`,
      `kkm.run: size is ${was.size + 1}, release-manifest.json says ${was.size}`,
    ]);
  });

  it('a missing raw asset input is reported like a missing archive input', async () => {
    const config = writeConfig(fx, [{ name: 'kontain.tar.gz', files: ['bin'] }], {
      assets: [{ name: 'kkm.run', from: 'build/kkm.run' }],
    });
    const plan = await planMake(config, { env: ENV, out: path.join(fx.root, 'dist2') });
    expect(plan.missing).to.deep.equal([
      `assets[0].from: no such file "${path.join(fx.root, 'build/kkm.run')}"`,
    ]);
  });
});
