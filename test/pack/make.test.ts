import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, utimesSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { RefusedError } from '../../src/errors/index.js';
import { applyMake, planMake } from '../../src/pack/make.js';
import { planSigning } from '../../src/pack/signing.js';
import { sha256File } from '../../src/checksums/index.js';
import { FIXED_EPOCH } from '../../src/pack/source-date.js';
import {
  MANIFEST_FILE,
  OUTPUT_MARKER,
  PROVENANCE_FILE,
  SBOM_FILE,
  SIG_FILE,
  SUMS_FILE,
  type MakeAction,
  type PlannedSigning,
  type ReleaseManifest,
} from '../../src/pack/types.js';
import { makeKey } from '../support/signing-keys.js';
import {
  changedFiles,
  expectSameFiles,
  makeTree,
  provenanceOf,
  SAMPLE,
  SAMPLE_ARCHIVES,
  sha256Of,
  sh,
  writeConfig,
  type Fixture,
} from './fixture.js';

const ENV = { SOURCE_DATE_EPOCH: '1700000000' };

async function make(
  fx: Fixture,
  out: string,
  env: NodeJS.ProcessEnv = ENV,
  signing?: PlannedSigning,
): Promise<ReleaseManifest> {
  const config = writeConfig(fx, SAMPLE_ARCHIVES);
  const plan = await planMake(config, { env, out, ...(signing !== undefined ? { signing } : {}) });
  return applyMake(plan, { toolVersion: '9.9.9' });
}

/** An Ed25519 key made by openssl in the fixture, as make plans it. */
function ed25519Signing(fx: Fixture): PlannedSigning {
  const key = makeKey(fx.root, 'ed25519');
  return planSigning({ sign: {} }, {}, fx.root, key.file)!;
}

describe('pack/make', () => {
  let fx: Fixture;
  beforeEach(() => (fx = makeTree(SAMPLE)));
  afterEach(() => fx.cleanup());

  it("an unsigned make twice is byte-identical in every file (SHA256SUMS, manifest and SBOM too), whatever the inputs' mtimes and permissions", async () => {
    const a = path.join(fx.root, 'a');
    await make(fx, a);
    utimesSync(path.join(fx.source, 'bin/km'), new Date(), new Date(2001, 1, 1));
    chmodSync(path.join(fx.source, 'runtime/libkm.so'), 0o640);
    const b = path.join(fx.root, 'b');
    await make(fx, b);
    expect(expectSameFiles(a, b)).to.include.members([SUMS_FILE, MANIFEST_FILE, SBOM_FILE, OUTPUT_MARKER]);
  });

  it('a different SOURCE_DATE_EPOCH changes the archive bytes', async () => {
    const a = path.join(fx.root, 'a');
    const b = path.join(fx.root, 'b');
    await make(fx, a, { SOURCE_DATE_EPOCH: '1700000000' });
    await make(fx, b, { SOURCE_DATE_EPOCH: '1700000001' });
    expect(readFileSync(path.join(b, 'kontain.tar.gz'))).to.not.deep.equal(
      readFileSync(path.join(a, 'kontain.tar.gz')),
    );
  });

  it('the mtime is SOURCE_DATE_EPOCH, else the HEAD commit time, else the fixed epoch', async () => {
    const config = writeConfig(fx, SAMPLE_ARCHIVES);
    expect((await planMake(config, { env: {} })).sourceDateEpoch).to.equal(FIXED_EPOCH);
    sh(
      'git init -q && git -c user.name=t -c user.email=t@t add -A && git -c user.name=t -c user.email=t@t commit -q -m x',
      fx.root,
    );
    sh('GIT_COMMITTER_DATE=@1600000000 git -c user.name=t -c user.email=t@t commit -q --amend -m x', fx.root);
    const git = await planMake(config, { env: {} });
    expect(git).to.include({ sourceDateEpoch: 1600000000, epochSource: 'git' });
    expect(git.commit).to.equal(sh('git rev-parse HEAD', fx.root).trim());
    expect((await planMake(config, { env: ENV })).sourceDateEpoch).to.equal(1700000000);
  });

  it('system tar lists sorted entries, owner 0/0 and normalised modes', async () => {
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    const listing = sh(`tar --numeric-owner -tzvf ${out}/kontain.tar.gz`).trim().split('\n');
    const names = listing.map((l) => l.split(/\s+/).at(-1)!);
    expect(names).to.deep.equal([
      'bin/',
      'bin/km',
      'bin/krun',
      'include/',
      'include/km_hcalls.h',
      'runtime/',
      'runtime/libkm.so',
    ]);
    expect(listing.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).to.deep.equal([
      'drwxr-xr-x 0/0',
      '-rwxr-xr-x 0/0',
      '-rwxr-xr-x 0/0',
      'drwxr-xr-x 0/0',
      '-rw-r--r-- 0/0',
      'drwxr-xr-x 0/0',
      '-rw-r--r-- 0/0',
    ]);
    expect(listing.every((l) => l.includes('2023-11-14 22:13'))).to.equal(true);
  });

  it('the gzip header has no name, mtime 0 and the Unix OS byte', async () => {
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    const gz = readFileSync(path.join(out, 'kontain.tar.gz'));
    expect([...gz.subarray(0, 4)]).to.deep.equal([0x1f, 0x8b, 8, 0]); // FLG 0: no name, comment or extra
    expect(gz.readUInt32LE(4)).to.equal(0);
    expect(gz[9]).to.equal(3);
  });

  it('a long path gets a pax header with only path and mtime (no atime, ctime or pid)', async () => {
    const long = `payloads/node/${'d'.repeat(90)}/${'f'.repeat(120)}.js`;
    sh(`mkdir -p "$(dirname '${long}')" && echo hi > '${long}'`, fx.source);
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    const tar = gunzipSync(readFileSync(path.join(out, 'kontain-node.tar.gz'))).toString('latin1');
    expect(tar).to.include(`path=${long}\n`);
    expect(tar).to.not.match(/atime=|ctime=|\d+ pid|PaxHeader\/\d/);
    expect(sh(`tar -tzf ${out}/kontain-node.tar.gz`)).to.include(`${long}\n`);
  });

  it('SHA256SUMS passes sha256sum -c and lists every file, sorted by name', async () => {
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    expect(sh('sha256sum -c SHA256SUMS', out)).to.equal(
      'kontain-node.tar.gz: OK\nkontain-python.tar.gz: OK\nkontain.tar.gz: OK\n' +
        'release-manifest.json: OK\nsbom.cdx.json: OK\n',
    );
  });

  it('an unsigned make writes the SBOM but no provenance and no signature, and its manifest lists only the SBOM', async () => {
    const out = path.join(fx.root, 'dist');
    const m = await make(fx, out);
    expect(readdirSync(out)).to.include(SBOM_FILE).and.not.include.members([PROVENANCE_FILE, SIG_FILE]);
    expect(m.attestations).to.deep.equal({ sbom: SBOM_FILE });
  });

  it('a signed make (an Ed25519 key made by openssl) writes the provenance, the signature and the SBOM, and its manifest lists all three', async () => {
    const out = path.join(fx.root, 'dist');
    const signing = ed25519Signing(fx);
    const m = await make(fx, out, ENV, signing);
    expect(readdirSync(out)).to.include.members([PROVENANCE_FILE, SIG_FILE, SBOM_FILE]);
    expect(m.attestations).to.deep.equal({
      sbom: SBOM_FILE,
      provenance: PROVENANCE_FILE,
      signature: { file: SIG_FILE, algorithm: 'ed25519', keyId: signing.keyId },
    });
    expect(sh('sha256sum -c SHA256SUMS', out)).to.include(`${PROVENANCE_FILE}: OK\n`);
  });

  it('a signed make twice with the same Ed25519 key differs only in the provenance (its times), SHA256SUMS and SHA256SUMS.sig', async () => {
    const signing = ed25519Signing(fx);
    const a = path.join(fx.root, 'a');
    const b = path.join(fx.root, 'b');
    await make(fx, a, ENV, signing);
    await sleep(5); // the provenance's times are in milliseconds
    await make(fx, b, ENV, signing);
    expect(changedFiles(a, b)).to.deep.equal([SUMS_FILE, SIG_FILE, PROVENANCE_FILE].sort());
    const [x, y] = [provenanceOf(a), provenanceOf(b)];
    const times = (s: typeof x): Record<string, unknown> =>
      (s.predicate as { runDetails: { metadata: Record<string, unknown> } }).runDetails.metadata;
    expect(times(y).startedOn).to.not.equal(times(x).startedOn);
    for (const s of [x, y]) {
      delete times(s).startedOn;
      delete times(s).finishedOn;
    }
    expect(y).to.deep.equal(x);
  });

  it('the manifest records tool version, commit, epoch and every archive with its entries', async () => {
    const out = path.join(fx.root, 'dist');
    const m = await make(fx, out);
    const onDisk = JSON.parse(readFileSync(path.join(out, MANIFEST_FILE), 'utf8')) as ReleaseManifest;
    expect(onDisk).to.deep.equal(m);
    expect(m).to.include({ schemaVersion: 1, commit: null, sourceDateEpoch: 1700000000 });
    expect(m.tool).to.deep.equal({ name: 'krel', version: '9.9.9' });
    expect(m.archives.map((a) => a.name)).to.deep.equal([
      'kontain.tar.gz',
      'kontain-python.tar.gz',
      'kontain-node.tar.gz',
    ]);
    const core = m.archives[0]!;
    expect(core).to.include(await sha256File(path.join(out, 'kontain.tar.gz')));
    expect(core.entries.find((e) => e.path === 'bin/km')).to.deep.equal({
      path: 'bin/km',
      type: 'file',
      size: 18,
      mode: '0755',
      sha256: (await sha256File(path.join(fx.source, 'bin/km'))).sha256,
    });
    const py = m.archives[1]!.entries.find((e) => e.path === 'payloads/python/bin/python.km');
    expect(py).to.deep.equal({
      path: 'payloads/python/bin/python.km',
      type: 'symlink',
      size: 0,
      mode: '0777',
      linkname: 'python3.km',
    });
  });

  it('with SOURCE_DATE_EPOCH fixed, a changed input file changes exactly its archive, the manifest, the SBOM (it lists every file) and SHA256SUMS', async () => {
    const a = path.join(fx.root, 'a');
    const b = path.join(fx.root, 'b');
    await make(fx, a);
    writeFileSync(path.join(fx.source, 'payloads/node/bin/node.km'), 'node 2\n');
    await make(fx, b);
    expect(changedFiles(a, b)).to.deep.equal(
      ['kontain-node.tar.gz', MANIFEST_FILE, SBOM_FILE, SUMS_FILE].sort(),
    );
  });

  it('a failure while writing leaves the previous output unchanged and no staging directory behind', async () => {
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    const before = sha256Of(out);
    const plan = await planMake(writeConfig(fx, SAMPLE_ARCHIVES), { env: ENV, out });
    rmSync(path.join(fx.source, 'payloads/node/bin/node.km')); // vanishes between plan and apply
    writeFileSync(path.join(fx.source, 'bin/km'), 'changed');
    let failed: unknown;
    await applyMake(plan, { toolVersion: '9.9.9' }).catch((e: unknown) => (failed = e));
    expect(String(failed)).to.match(/ENOENT|shrank/);
    expect(sha256Of(out)).to.deep.equal(before);
    expect(readdirSync(fx.root).filter((n) => n.startsWith('.dist.'))).to.deep.equal([]);
  });

  it('an existing output directory that krel did not make is refused (exit 3), not replaced', async () => {
    const out = path.join(fx.root, 'precious');
    sh(`mkdir -p ${out} && echo keep > ${out}/notes.txt`);
    let failed: unknown;
    await make(fx, out).catch((e: unknown) => (failed = e));
    expect(failed).to.be.instanceOf(RefusedError);
    expect(String(failed)).to.match(/krel did not make it/);
    expect(readdirSync(out)).to.deep.equal(['notes.txt']);
  });

  it('a directory with a release-manifest.json but without the marker is refused, already at plan time', async () => {
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    rmSync(path.join(out, OUTPUT_MARKER));
    writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const before = sha256Of(out);
    const config = writeConfig(fx, SAMPLE_ARCHIVES);
    const failed = await planMake(config, { env: ENV, out }).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(RefusedError);
    expect(String(failed)).to.match(/no \.krel-output marker/);
    expect(sha256Of(out)).to.deep.equal(before);
  });

  it('a marker file with other content does not prove krel made the directory', async () => {
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    writeFileSync(path.join(out, OUTPUT_MARKER), 'made by hand\n');
    const failed = await make(fx, out).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(RefusedError);
    expect(readFileSync(path.join(out, OUTPUT_MARKER), 'utf8')).to.equal('made by hand\n');
  });

  it("krel's output holds the marker, and is replaced whole by the next make", async () => {
    const out = path.join(fx.root, 'dist');
    await make(fx, out);
    expect(readdirSync(out)).to.include(OUTPUT_MARKER);
    rmSync(path.join(out, 'kontain-node.tar.gz')); // missing files do not matter: nothing of the user's is there
    await make(fx, out);
    expect(readdirSync(out).sort()).to.deep.equal([
      OUTPUT_MARKER,
      'SHA256SUMS',
      'kontain-node.tar.gz',
      'kontain-python.tar.gz',
      'kontain.tar.gz',
      MANIFEST_FILE,
      SBOM_FILE,
    ]);
    expect(readdirSync(fx.root).filter((n) => n.startsWith('.dist.'))).to.deep.equal([]);
  });

  it("krel's output holding a raw asset is krel's too: the next make replaces it, byte for byte the same", async () => {
    writeFileSync(path.join(fx.root, 'kkm.run'), '#!/bin/sh\necho kkm\n');
    const config = writeConfig(fx, SAMPLE_ARCHIVES, { assets: [{ name: 'kkm.run', from: 'kkm.run' }] });
    const out = path.join(fx.root, 'dist');
    await applyMake(await planMake(config, { env: ENV, out }), { toolVersion: '1' });
    const first = sha256Of(out);
    expect(readFileSync(path.join(out, SUMS_FILE), 'utf8')).to.match(/ {2}kkm\.run\n/);
    await applyMake(await planMake(config, { env: ENV, out }), { toolVersion: '1' });
    expect(sha256Of(out)).to.deep.equal(first);
  });

  it('an output directory inside the source tree is never packaged into itself', async () => {
    const out = path.join(fx.source, 'dist');
    const config = writeConfig(fx, [{ name: 'all.tar.gz', files: ['**'] }]);
    await applyMake(await planMake(config, { env: ENV, out }), { toolVersion: '1' });
    const second = await applyMake(await planMake(config, { env: ENV, out }), { toolVersion: '1' });
    expect(second.archives[0]!.entries.some((e) => e.path.startsWith('dist'))).to.equal(false);
    expect(existsSync(path.join(out, 'all.tar.gz'))).to.equal(true);
  });

  it("apply carries out exactly the plan's actions, in order, and writes nothing the plan does not name; without a key there is no write-provenance", async () => {
    writeFileSync(path.join(fx.root, 'kkm.run'), '#!/bin/sh\necho kkm\n');
    const config = writeConfig(fx, SAMPLE_ARCHIVES, { assets: [{ name: 'kkm.run', from: 'kkm.run' }] });
    const out = path.join(fx.root, 'dist');
    const plan = await planMake(config, { env: ENV, out });
    expect(plan.version).to.equal(1);
    expect(plan.actions).to.deep.equal([
      { kind: 'write-archive', name: 'kontain.tar.gz', entries: 7 },
      { kind: 'write-archive', name: 'kontain-python.tar.gz', entries: 5 },
      { kind: 'write-archive', name: 'kontain-node.tar.gz', entries: 4 },
      { kind: 'copy-asset', name: 'kkm.run' },
      { kind: 'write-sbom' },
      { kind: 'write-manifest' },
      { kind: 'write-checksums' },
      { kind: 'replace-output', out },
    ]);
    const done: MakeAction[] = [];
    await applyMake(plan, { toolVersion: '1', onAction: (a) => done.push(a) });
    expect(done).to.deep.equal(plan.actions);

    // A plan without one archive's and the asset's actions makes only what is left.
    const other = path.join(fx.root, 'other');
    const fewer = await planMake(config, { env: ENV, out: other });
    fewer.actions = fewer.actions.filter(
      (a) => a.kind !== 'copy-asset' && !(a.kind === 'write-archive' && a.name === 'kontain-node.tar.gz'),
    );
    const manifest = await applyMake(fewer, { toolVersion: '1' });
    expect(manifest.archives.map((a) => a.name)).to.deep.equal(['kontain.tar.gz', 'kontain-python.tar.gz']);
    expect(manifest.assets).to.equal(undefined);
    expect(readdirSync(other).sort()).to.deep.equal([
      OUTPUT_MARKER,
      SUMS_FILE,
      'kontain-python.tar.gz',
      'kontain.tar.gz',
      MANIFEST_FILE,
      SBOM_FILE,
    ]);
  });

  it('with a signing key the plan writes the provenance after the manifest and signs SHA256SUMS last; apply does just that', async () => {
    const config = writeConfig(fx, SAMPLE_ARCHIVES);
    const out = path.join(fx.root, 'dist');
    const signing = ed25519Signing(fx);
    const plan = await planMake(config, { env: ENV, out, signing });
    expect(plan.actions.slice(3)).to.deep.equal([
      { kind: 'write-sbom' },
      { kind: 'write-manifest' },
      { kind: 'write-provenance' },
      { kind: 'write-checksums' },
      { kind: 'sign-checksums', algorithm: 'ed25519', keyId: signing.keyId },
      { kind: 'replace-output', out },
    ]);
    const done: MakeAction[] = [];
    await applyMake(plan, { toolVersion: '1', onAction: (a) => done.push(a) });
    expect(done).to.deep.equal(plan.actions);
  });

  it('missing inputs with a "build" command plan run-build first; once built, the plan has no build', async () => {
    const config = writeConfig(fx, [{ name: 'gen.tar.gz', files: ['gen'] }], { build: 'make gen' });
    const before = await planMake(config, { env: ENV });
    expect(before.actions[0]).to.deep.equal({ kind: 'run-build', command: 'make gen' });
    const after = await planMake(config, { env: ENV, built: true });
    expect(after.actions.map((a) => a.kind)).to.not.include('run-build');
  });
});
