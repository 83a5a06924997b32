import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { Header, Pax } from 'tar';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../src/errors/index.js';
import { formatSums, parseSums, sha256File } from '../../src/checksums/index.js';
import { applyMake, planMake } from '../../src/pack/make.js';
import { loadPublicKey, type SigningKey } from '../../src/attest/keys.js';
import { planSigning } from '../../src/pack/signing.js';
import {
  PROVENANCE_FILE,
  SBOM_FILE,
  SIG_FILE,
  type ManifestEntry,
  type PlannedSigning,
  type ReleaseManifest,
} from '../../src/pack/types.js';
import { verifyDist } from '../../src/pack/verify.js';
import { listArchive, listTar } from '../../src/pack/read-archive.js';
import { octalMode } from '../../src/pack/tar-stream.js';
import { KREL_BIN, baseEnv, runKrel } from '../support/cli.js';
import { makeKey } from '../support/signing-keys.js';
import { ensureCommands } from '../support/tools.js';
import { makeTree, SAMPLE, SAMPLE_ARCHIVES, sh, writeConfig, type Fixture } from './fixture.js';

/**
 * Rewrite release-manifest.json (the archive's size and sha256) and SHA256SUMS to match `name` as it is now, as a
 * forger would; the SBOM and the provenance (a signed release's), which would give the forgery away, are dropped
 * (a forger without the key can do that too: only a signature checked with --key makes their absence visible).
 */
async function resum(dist: string, name: string, entries?: ManifestEntry[]): Promise<void> {
  for (const f of [PROVENANCE_FILE, SBOM_FILE]) rmSync(path.join(dist, f), { force: true });
  const fresh = await sha256File(path.join(dist, name));
  const manifestFile = path.join(dist, 'release-manifest.json');
  const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as ReleaseManifest;
  Object.assign(
    m.archives.find((a) => a.name === name)!,
    fresh,
    entries === undefined ? {} : { entries },
  );
  writeFileSync(manifestFile, JSON.stringify(m));
  const manifestSum = (await sha256File(manifestFile)).sha256;
  const resummed = { [name]: fresh.sha256, 'release-manifest.json': manifestSum } as Record<string, string>;
  const sums = parseSums(readFileSync(path.join(dist, 'SHA256SUMS'), 'utf8')).sums.filter(
    (s) => s.name !== PROVENANCE_FILE && s.name !== SBOM_FILE,
  );
  writeFileSync(
    path.join(dist, 'SHA256SUMS'),
    formatSums(sums.map((s) => ({ ...s, sha256: resummed[s.name] ?? s.sha256 }))),
  );
}

async function make(fx: Fixture, out: string, signing?: PlannedSigning): Promise<void> {
  const plan = await planMake(writeConfig(fx, SAMPLE_ARCHIVES), {
    env: { SOURCE_DATE_EPOCH: '1' },
    out,
    ...(signing !== undefined ? { signing } : {}),
  });
  await applyMake(plan, { toolVersion: '1.0.0' });
}

/** A release signed with an Ed25519 key made by openssl: the only kind that has a provenance. */
async function makeSigned(fx: Fixture, out: string): Promise<SigningKey> {
  const key = makeKey(fx.root, 'ed25519');
  await make(fx, out, planSigning({ sign: {} }, {}, fx.root, key.file));
  return loadPublicKey(key.pub);
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

  it('a fresh unsigned output verifies with no problems: every file of SHA256SUMS and the SBOM (it has no provenance)', async () => {
    const r = await verifyDist(dist);
    expect(r.problems).to.deep.equal([]);
    expect(r.verified).to.have.length(5);
    expect(r.attested).to.deep.equal([`${SBOM_FILE}: 3 components match SHA256SUMS`]);
  });

  it('a fresh signed output verifies with its public key: the signature, the provenance and the SBOM', async () => {
    const signed = path.join(fx.root, 'signed');
    const key = await makeSigned(fx, signed);
    const r = await verifyDist(signed, { key });
    expect(r.problems).to.deep.equal([]);
    expect(r.verified).to.have.length(6);
    expect(r.attested.map((l) => l.replace(/ with .*/, ''))).to.deep.equal([
      `${SIG_FILE} verifies`,
      `${PROVENANCE_FILE} line 1: DSSE signature verifies`,
      `${PROVENANCE_FILE}: 5 subjects match SHA256SUMS`,
      `${SBOM_FILE}: 3 components match SHA256SUMS`,
    ]);
  });

  it('an archive swapped in a signed release with consistent checksums but the attestations left in place is caught by the provenance and the SBOM', async () => {
    await makeSigned(fx, dist);
    writeFileSync(path.join(fx.source, 'payloads/node/bin/node.km'), 'other node\n');
    const other = path.join(fx.root, 'other');
    await make(fx, other);
    copyFileSync(path.join(other, 'kontain-node.tar.gz'), path.join(dist, 'kontain-node.tar.gz'));
    const keep = [PROVENANCE_FILE, SBOM_FILE].map((f) => [f, readFileSync(path.join(dist, f))] as const);
    const sums = readFileSync(path.join(dist, 'SHA256SUMS'), 'utf8');
    await resum(dist, 'kontain-node.tar.gz');
    for (const [f, bytes] of keep) writeFileSync(path.join(dist, f), bytes);
    const kept = sums.split('\n').filter((l) => l.endsWith(PROVENANCE_FILE) || l.endsWith(SBOM_FILE));
    appendFileSync(path.join(dist, 'SHA256SUMS'), kept.join('\n') + '\n');
    const r = await verifyDist(dist);
    expect(
      r.problems.filter((p) =>
        p.startsWith(`${PROVENANCE_FILE} line 1: subject kontain-node.tar.gz has sha256 `),
      ),
    ).to.have.length(1);
    expect(
      r.problems.filter((p) =>
        p.startsWith(`${PROVENANCE_FILE} line 1: subject release-manifest.json has sha256 `),
      ),
    ).to.have.length(1);
    expect(
      r.problems.filter((p) => p.startsWith(`${SBOM_FILE}: component kontain-node.tar.gz has sha256 `)),
    ).to.have.length(1);
    // With the re-listed archive's own mismatch: four lines, each naming what gives the swap away.
    expect(r.problems).to.have.length(4);
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
    await resum(dist, 'kontain-node.tar.gz');
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

/** One hostile shape: a tree made by `setup`, archived by GNU tar with `tarArgs`, and the line verify must print. */
interface Hostile {
  what: string;
  setup: string;
  tarArgs: string;
  line: string;
}

const NODE = 'kontain-node.tar.gz';
const REFUSED: Hostile[] = [
  {
    what: 'a member named ../evil',
    setup: 'echo x > evil',
    tarArgs: "-P --transform 's,^evil$,../evil,' evil",
    line: 'member "../evil" climbs out with ".."; member paths stay inside the archive',
  },
  {
    what: 'a member named /etc/x',
    setup: 'echo x > x',
    tarArgs: "-P --transform 's,^x$,/etc/x,' x",
    line: 'member "/etc/x" has an absolute path; member paths are relative',
  },
  {
    what: 'a symlink etc -> /etc',
    setup: 'ln -s /etc etc',
    tarArgs: 'etc',
    line: 'member "etc" is a symlink to the absolute path "/etc"; links are relative and stay inside the archive',
  },
  {
    what: 'a symlink up -> ../x',
    setup: 'ln -s ../x up',
    tarArgs: 'up',
    line: 'member "up" is a symlink to "../x", which leads outside the archive; links stay inside it',
  },
  {
    what: 'a symlink that leaves the tree through another symlink (t -> a/b/s/.., a/b/s -> ../..)',
    setup: 'mkdir -p a/b && ln -s ../.. a/b/s && ln -s a/b/s/.. t',
    tarArgs: 'a t',
    line: 'member "t" is a symlink to "a/b/s/..", which leads outside the archive; links stay inside it',
  },
  {
    what: 'a hard link to ../../etc/passwd',
    setup: 'echo x > a && ln a h',
    tarArgs: "-P --transform 's,^a$,../../etc/passwd,RS' a h",
    line: 'member "h" is a hard link to "../../etc/passwd", which is not a file stored before it; a hard link names an earlier file of the archive',
  },
  {
    what: 'a hard link to a symlink (hs -> s)',
    setup: 'ln -s missing s && ln -P s hs',
    tarArgs: 's hs',
    line: 'member "hs" is a hard link to "s", which is not a file stored before it; a hard link names an earlier file of the archive',
  },
  {
    what: 'a file stored through a symlink (lnk -> sub, lnk/f)',
    setup: 'mkdir sub && ln -s sub lnk && echo f > f',
    tarArgs: "--transform 's,^f$,lnk/f,' lnk f",
    line: 'member "lnk/f" lies below the symlink "lnk"; nothing is stored through a link',
  },
];

describe('krel verify: an archive and manifest rewritten consistently are held to the archive rules', function () {
  this.timeout(60_000);
  let fx: Fixture;
  let dist: string;
  before(() => ensureCommands({ tar: 'tar', gzip: 'gzip' }));
  beforeEach(async () => {
    fx = makeTree(SAMPLE);
    dist = path.join(fx.root, 'dist');
    await make(fx, dist);
  });
  afterEach(() => fx.cleanup());

  /** Replace kontain-node.tar.gz with GNU tar's archive of a fresh tree; manifest and SHA256SUMS follow it. */
  async function swapIn(setup: string, tarArgs: string): Promise<void> {
    const work = path.join(fx.root, 'hostile');
    mkdirSync(work);
    sh(setup, work);
    const archive = path.join(dist, NODE);
    sh(`tar -czf ${archive} --owner=0 --group=0 --numeric-owner --mtime=@1 ${tarArgs}`, work);
    const entries = (await listArchive(archive)).map((e) => {
      const m: ManifestEntry = {
        path: e.path,
        type: e.type as ManifestEntry['type'],
        size: e.size,
        mode: octalMode(e.mode),
      };
      if (e.sha256 !== undefined) m.sha256 = e.sha256;
      if (e.linkname !== undefined) m.linkname = e.linkname;
      return m;
    });
    await resum(dist, NODE, entries);
  }

  it('the same rewrite of a harmless GNU tar archive verifies: exit 0', async () => {
    await swapIn('mkdir -p bin && echo n > bin/node.km && ln -s node.km bin/node', 'bin');
    const r = await runKrel(['verify', dist]);
    expect(r.stderr).to.match(/all match/);
    expect(r.code).to.equal(0);
  });

  it('an archive gzipped twice is refused as unreadable (exit 3), not inflated a second time', async () => {
    const archive = path.join(dist, NODE);
    sh(`gzip -c ${archive} > ${archive}.2 && mv ${archive}.2 ${archive}`);
    await resum(dist, NODE);
    const r = await runKrel(['verify', dist]);
    expect(r.stderr).to.equal(
      `krel: ${dist}: ${NODE}: cannot be read as a tar.gz (it holds a second gzip layer)\n`,
    );
    expect(r.code).to.equal(3);
  });

  for (const h of REFUSED) {
    it(`${h.what} is refused with exit 3 and one line naming the member and the rule`, async () => {
      await swapIn(h.setup, h.tarArgs);
      const r = await runKrel(['verify', dist]);
      expect(r.stderr).to.equal(`krel: ${dist}: ${NODE}: ${h.line}\n`);
      expect(r.code).to.equal(3);
    });
  }
});

const GiB = 1024 ** 3;
const MAX_RSS_KB = 150 * 1024;

/** Run the built krel under /usr/bin/time -v: exit code, stderr, and the peak RSS in KiB. */
function runMeasured(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stderr: string; rssKb: number }> {
  return new Promise((resolve, reject) => {
    const env = { ...baseEnv(), SOURCE_DATE_EPOCH: '1' };
    const child = spawn('/usr/bin/time', ['-v', process.execPath, KREL_BIN, ...args], { cwd, env });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      if (rss === null) return reject(new Error(`no RSS in /usr/bin/time output: ${stderr}`));
      resolve({ code, stderr, rssKb: Number(rss[1]) });
    });
  });
}

/** A raw tar stream: `header`, then `size` zero bytes (one reused buffer), padding, a small member, the end. */
function* tarOfZeros(header: Buffer, size: number): Generator<Buffer> {
  yield header;
  const zeros = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(left, zeros.length));
  yield Buffer.alloc((512 - (size % 512)) % 512);
  const after = Buffer.alloc(512);
  new Header({ path: 'after', type: 'File', size: 3, mode: 0o644, mtime: new Date(1000) }).encode(after);
  yield Buffer.concat([after, Buffer.from('abc'), Buffer.alloc(509 + 1024)]);
}

/** sha256 of 8 GiB + 1 zero bytes. */
const ZEROS_8G1 = 'b47800cd5a0c0bd2a7d6c2ac9402cc117bbe89363299bdc51f8a72aef8543693';
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('krel verify streams members of any size', function () {
  this.timeout(600_000);

  it('a member over 8 GiB with a base-256 size field is read whole: size, sha256, and the member after it', async () => {
    const size = 8 * GiB + 1;
    const block = Buffer.alloc(512);
    new Header({ path: 'big', type: 'File', size, mode: 0o644, mtime: new Date(1000) }).encode(block);
    expect(block[124]).to.equal(0x80); // base-256, as krel make writes it
    const got = await listTar(Readable.from(tarOfZeros(block, size)));
    expect(got.map((e) => [e.path, e.size, e.sha256])).to.deep.equal([
      ['big', size, ZEROS_8G1],
      ['after', 3, ABC],
    ]);
  });

  it('a member over 8 GiB with a pax size header is read whole: size, sha256, and the member after it', async () => {
    const size = 8 * GiB + 1;
    const block = Buffer.alloc(512);
    new Header({ path: 'big', type: 'File', size: 0, mode: 0o644, mtime: new Date(1000) }).encode(block);
    const pax = new Pax({ path: 'big', size }).encode();
    const got = await listTar(Readable.from(tarOfZeros(Buffer.concat([pax, block]), size)));
    expect(got.map((e) => [e.path, e.size, e.sha256])).to.deep.equal([
      ['big', size, ZEROS_8G1],
      ['after', 3, ABC],
    ]);
  });

  it(`a 3 GiB sparse member: krel make then krel verify exit 0, verify's peak RSS at most ${MAX_RSS_KB / 1024} MiB`, async () => {
    ensureCommands({ time: 'time' });
    const fx = makeTree({ 'big/README': 'a sparse member follows\n' });
    try {
      sh('truncate -s 3G big/blob', fx.source);
      writeConfig(fx, [{ name: 'big.tar.gz', files: ['big'] }]);
      const made = await runMeasured(['make'], fx.root);
      expect(made.code, made.stderr).to.equal(0);
      const r = await runMeasured(['verify'], fx.root);
      expect(r.stderr).to.match(/verified 3 files in .*: all match/);
      expect(r.code).to.equal(0);
      expect(r.rssKb).to.be.at.most(MAX_RSS_KB);
    } finally {
      fx.cleanup();
    }
  });
});
