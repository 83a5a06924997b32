/**
 * Signed and attested releases end to end, through the real CLI and checked by real peers: `krel make` of the
 * example with an openssl-made key writes SHA256SUMS.sig, provenance.intoto.jsonl and sbom.cdx.json (without a
 * key only the SBOM: the provenance is written for signed releases only); openssl
 * verifies the signature and the DSSE envelope (PAE recomputed here); the CycloneDX library's validator
 * checks the SBOM against the spec's JSON schema; publishing uploads all of it; no private key material
 * appears anywhere.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Validation } from '@cyclonedx/cyclonedx-library';
import { REPO_ROOT, runKrel, type RunResult } from '../support/cli.js';
import { fakeSha } from '../support/github-emulator/index.js';
import { useGitHubEmulator } from '../support/github-emulator/testing.js';
import {
  flipByte,
  makeKey,
  openssl,
  opensslVerifyArgs,
  type KeyKind,
  type TestKey,
} from '../support/signing-keys.js';

const CONFIG = path.join(REPO_ROOT, 'examples/kontain/krel.json');
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const sha256Of = (file: string): string => sha256(readFileSync(file));

/** Exit code of an openssl check (0: verified). */
const opensslCheck = (args: string[]): number | null =>
  spawnSync('openssl', args, { stdio: 'ignore' }).status;

interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

describe('signed and attested releases (krel make, openssl, CycloneDX schema)', function () {
  this.timeout(300_000);
  let work: string;
  const keys = {} as Record<KeyKind, TestKey>;
  const dists = {} as Record<KeyKind, string>;
  /** Every run of krel with a key: scanned for key material at the end. */
  const runs: RunResult[] = [];
  const krel = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> => {
    const r = await runKrel(args, { env });
    runs.push(r);
    return r;
  };

  before(async () => {
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-attest-'));
    keys.ed25519 = makeKey(work, 'ed25519');
    keys['ecdsa-p256'] = makeKey(work, 'ecdsa-p256');
    dists.ed25519 = path.join(work, 'dist-ed25519');
    dists['ecdsa-p256'] = path.join(work, 'dist-ecdsa');
    // The two ways to name the key: KREL_SIGNING_KEY and --signing-key.
    const ed = await krel(['make', '--config', CONFIG, '--out', dists.ed25519, '--verify'], {
      KREL_SIGNING_KEY: keys.ed25519.file,
    });
    expect(ed.code, ed.stderr).to.equal(0);
    const ec = await krel([
      'make',
      '--config',
      CONFIG,
      '--out',
      dists['ecdsa-p256'],
      '--signing-key',
      keys['ecdsa-p256'].file,
    ]);
    expect(ec.code, ec.stderr).to.equal(0);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  for (const kind of ['ed25519', 'ecdsa-p256'] as const) {
    describe(kind, () => {
      it('make writes SHA256SUMS.sig, the provenance and the SBOM; SHA256SUMS lists everything but the signature', () => {
        const dist = dists[kind];
        const files = readdirSync(dist).sort();
        expect(files).to.include.members(['SHA256SUMS.sig', 'provenance.intoto.jsonl', 'sbom.cdx.json']);
        const listed = readFileSync(path.join(dist, 'SHA256SUMS'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('  ')[1]);
        expect(listed).to.deep.equal(
          files.filter((f) => !['.krel-output', 'SHA256SUMS', 'SHA256SUMS.sig'].includes(f)),
        );
        const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dist, encoding: 'utf8' });
        expect(check.status, check.stdout).to.equal(0);
        const manifest = JSON.parse(readFileSync(path.join(dist, 'release-manifest.json'), 'utf8')) as {
          attestations: unknown;
        };
        expect(manifest.attestations).to.deep.include({
          sbom: 'sbom.cdx.json',
          provenance: 'provenance.intoto.jsonl',
        });
        expect(manifest.attestations).to.have.nested.property('signature.algorithm', kind);
      });

      it('openssl verifies SHA256SUMS.sig with the public key, and so does krel verify --key (exit 0)', async () => {
        const dist = dists[kind];
        const args = opensslVerifyArgs(kind, keys[kind].pub, 'SHA256SUMS', 'SHA256SUMS.sig');
        expect(openssl(args, dist)).to.match(/Verified (OK|Successfully)/);
        const r = await krel(['verify', dist, '--key', keys[kind].pub]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.match(/SHA256SUMS\.sig verifies with .*\.pub\.pem/);
        expect(r.stderr).to.match(/provenance\.intoto\.jsonl line 1: DSSE signature verifies/);
      });

      it('one byte flipped in SHA256SUMS: openssl refuses the signature and krel verify --key exits 3', async () => {
        const bad = path.join(work, `flipped-${kind}`);
        cpSync(dists[kind], bad, { recursive: true });
        const sums = readFileSync(path.join(bad, 'SHA256SUMS'));
        sums[10] = sums[10] === 0x30 ? 0x31 : 0x30; // one hex digit of the first checksum
        writeFileSync(path.join(bad, 'SHA256SUMS'), sums);
        const args = opensslVerifyArgs(
          kind,
          keys[kind].pub,
          path.join(bad, 'SHA256SUMS'),
          path.join(bad, 'SHA256SUMS.sig'),
        );
        expect(opensslCheck(args)).to.not.equal(0);
        const r = await krel(['verify', bad, '--key', keys[kind].pub]);
        expect(r.code, r.stderr).to.equal(3);
        expect(r.stderr).to.match(
          /SHA256SUMS\.sig does not verify with .*: SHA256SUMS or its signature was changed/,
        );
      });

      it('a signature by another key: openssl and krel verify --key refuse it (exit 3)', async () => {
        const other = makeKey(work, kind, `other-${kind}`);
        const args = opensslVerifyArgs(kind, other.pub, 'SHA256SUMS', 'SHA256SUMS.sig');
        expect(spawnSync('openssl', args, { cwd: dists[kind], stdio: 'ignore' }).status).to.not.equal(0);
        const r = await krel(['verify', dists[kind], '--key', other.pub]);
        expect(r.code, r.stderr).to.equal(3);
      });

      it('the DSSE envelope of the provenance verifies with the public key: PAE recomputed here, checked by openssl', () => {
        const dist = dists[kind];
        const lines = readFileSync(path.join(dist, 'provenance.intoto.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean);
        expect(lines).to.have.length(1);
        const env = JSON.parse(lines[0]!) as Envelope;
        expect(env.payloadType).to.equal('application/vnd.in-toto+json');
        expect(env.signatures).to.have.length(1);
        const body = Buffer.from(env.payload, 'base64');
        const type = Buffer.from(env.payloadType);
        const pae = Buffer.concat([
          Buffer.from(`DSSEv1 ${type.length} `),
          type,
          Buffer.from(` ${body.length} `),
          body,
        ]);
        const paeFile = path.join(work, `pae-${kind}`);
        const sigFile = path.join(work, `pae-${kind}.sig`);
        writeFileSync(paeFile, pae);
        writeFileSync(sigFile, Buffer.from(env.signatures[0]!.sig, 'base64'));
        expect(opensslCheck(opensslVerifyArgs(kind, keys[kind].pub, paeFile, sigFile))).to.equal(0);
        // The keyid names the public key: sha256 of its DER SubjectPublicKeyInfo, as openssl writes it.
        const der = spawnSync('openssl', ['pkey', '-pubin', '-in', keys[kind].pub, '-outform', 'DER']).stdout;
        expect(env.signatures[0]!.keyid).to.equal(sha256(der));
        // One byte of the payload changed: the envelope no longer verifies.
        flipByte(body, -3);
        writeFileSync(
          paeFile,
          Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]),
        );
        expect(opensslCheck(opensslVerifyArgs(kind, keys[kind].pub, paeFile, sigFile))).to.not.equal(0);
      });
    });
  }

  it("the provenance's subjects are every asset with its sha256; builder, build type, krel.json digest, commit, tool version and times are recorded", () => {
    const dist = dists.ed25519;
    const env = JSON.parse(readFileSync(path.join(dist, 'provenance.intoto.jsonl'), 'utf8')) as Envelope;
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as {
      _type: string;
      predicateType: string;
      subject: { name: string; digest: { sha256: string } }[];
      predicate: {
        buildDefinition: {
          buildType: string;
          resolvedDependencies: { name?: string; digest: Record<string, string> }[];
        };
        runDetails: {
          builder: { id: string; version: { krel: string } };
          metadata: { startedOn: string; finishedOn: string };
        };
      };
    };
    expect(st._type).to.equal('https://in-toto.io/Statement/v1');
    expect(st.predicateType).to.equal('https://slsa.dev/provenance/v1');
    const assets = readdirSync(dist)
      .filter((f) => !['.krel-output', 'SHA256SUMS', 'SHA256SUMS.sig', 'provenance.intoto.jsonl'].includes(f))
      .sort();
    expect(assets).to.include.members([
      'kontain.tar.gz',
      'kkm.run',
      'release-manifest.json',
      'sbom.cdx.json',
    ]);
    expect(Object.fromEntries(st.subject.map((s) => [s.name, s.digest.sha256]))).to.deep.equal(
      Object.fromEntries(assets.map((a) => [a, sha256Of(path.join(dist, a))])),
    );
    const p = st.predicate;
    expect(p.buildDefinition.buildType).to.equal('https://kontain.app/krel/make/v1');
    const deps = p.buildDefinition.resolvedDependencies;
    expect(deps.find((d) => d.name === 'krel.json')?.digest.sha256).to.equal(sha256Of(CONFIG));
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
    expect(deps.some((d) => d.digest.gitCommit === head)).to.equal(true);
    const version = (
      JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(p.runDetails.builder.version.krel).to.equal(version);
    expect(p.runDetails.builder.id).to.match(/^https:\/\//);
    const { startedOn, finishedOn } = p.runDetails.metadata;
    expect(Date.parse(finishedOn)).to.be.at.least(Date.parse(startedOn));
    expect(Date.now() - Date.parse(startedOn)).to.be.below(10 * 60_000);
  });

  it('the SBOM validates against the CycloneDX 1.6 JSON schema; each archive and asset has its sha256, each archive its files', async () => {
    const dist = dists.ed25519;
    const text = readFileSync(path.join(dist, 'sbom.cdx.json'), 'utf8');
    const validator = new Validation.JsonStrictValidator('1.6' as never);
    expect(await validator.validate(text)).to.equal(null);
    // The validator bites: a hash that is not hex is a schema error.
    expect(
      await validator.validate(text.replace(/"content": "[0-9a-f]{64}"/, '"content": "not a hash"')),
    ).to.not.equal(null);
    const bom = JSON.parse(text) as {
      components: {
        name: string;
        hashes: { alg: string; content: string }[];
        components?: { name: string; hashes: { content: string }[] }[];
      }[];
    };
    const manifest = JSON.parse(readFileSync(path.join(dist, 'release-manifest.json'), 'utf8')) as {
      archives: { name: string; entries: { path: string; type: string; sha256?: string }[] }[];
    };
    for (const c of bom.components) {
      expect(c.hashes, c.name).to.deep.equal([
        { alg: 'SHA-256', content: sha256Of(path.join(dist, c.name)) },
      ]);
    }
    expect(bom.components.map((c) => c.name).sort()).to.deep.equal(
      [...manifest.archives.map((a) => a.name), 'kkm.run'].sort(),
    );
    const core = bom.components.find((c) => c.name === 'kontain.tar.gz')!;
    const files = manifest.archives[0]!.entries.filter((e) => e.type === 'file');
    expect(
      Object.fromEntries((core.components ?? []).map((f) => [f.name, f.hashes[0]!.content])),
    ).to.deep.include(Object.fromEntries(files.map((f) => [f.path, f.sha256])));
  });

  it('no key configured: no signature and no provenance, said once in the log; the SBOM and the rest are made and verify', async () => {
    const dist = path.join(work, 'unsigned');
    const r = await runKrel(['make', '--config', CONFIG, '--out', dist, '--verify']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr.match(/not signed/g)).to.have.length(1);
    expect(r.stderr).to.match(
      /not signed: no signing key \(--signing-key, KREL_SIGNING_KEY or krel\.json sign\.key\); neither SHA256SUMS\.sig nor provenance\.intoto\.jsonl is written/,
    );
    expect(readdirSync(dist)).to.include('sbom.cdx.json');
    expect(readdirSync(dist)).to.not.include.members(['SHA256SUMS.sig', 'provenance.intoto.jsonl']);
    expect(readFileSync(path.join(dist, 'SHA256SUMS'), 'utf8')).to.not.include('provenance');
    const manifest = JSON.parse(readFileSync(path.join(dist, 'release-manifest.json'), 'utf8')) as {
      attestations: unknown;
    };
    expect(manifest.attestations).to.deep.equal({ sbom: 'sbom.cdx.json' });
    // Asked for a signature, verify refuses the unsigned release.
    const v = await runKrel(['verify', dist, '--key', keys.ed25519.pub]);
    expect(v.code).to.equal(3);
    expect(v.stderr).to.match(/SHA256SUMS\.sig is missing: the release is not signed/);
  });

  it('a key krel cannot use is refused before anything is written (exit 2, one line, the key never shown)', async () => {
    const rsa = path.join(work, 'rsa.pem');
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsa]);
    const out = path.join(work, 'never');
    const r1 = await krel(['make', '--config', CONFIG, '--out', out, '--signing-key', rsa]);
    expect(r1.code).to.equal(2);
    expect(r1.stderr.trim()).to.equal(
      `krel: signing key ${rsa} is a rsa key: krel signs with an Ed25519 or ECDSA P-256 key in PEM`,
    );
    const pem = readFileSync(keys.ed25519.file, 'utf8');
    const r2 = await krel(['make', '--config', CONFIG, '--out', out], { KREL_SIGNING_KEY: pem });
    expect(r2.code).to.equal(2);
    expect(r2.stderr.trim()).to.match(
      /^krel: KREL_SIGNING_KEY holds a key, not a path: write the key to a file/,
    );
    expect(() => statSync(out)).to.throw();
  });

  describe('publish uploads the signature, the provenance and the SBOM with the rest, all or nothing', () => {
    const C1 = fakeSha('kontainapp/km#1');
    const emu = useGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km', commits: [C1] }] });

    it('to GitHub (emulator): every file of dist/ is a verified asset of the published release', async () => {
      const dist = dists.ed25519;
      const r = await krel(
        ['publish', '--config', CONFIG, '--store', 'github', '--dist', dist, '--commit', C1],
        {
          GITHUB_API_URL: emu.gh.apiUrl,
          GITHUB_TOKEN: emu.gh.token,
          RELEASE_TAG: 'v0.1-test',
          KREL_RETRY_BASE_MS: '10',
          KREL_GITHUB_WRITE_SPACING_MS: '0',
        },
      );
      expect(r.code, r.stderr).to.equal(0);
      const rel = emu.gh.state.repos[0]!.releases.filter((x) => x.tagName === 'v0.1-test' && !x.draft);
      expect(rel).to.have.length(1);
      const published = Object.fromEntries(rel[0]!.assets.map((a) => [a.name, a.digest]));
      const want = readdirSync(dist).filter((f) => f !== '.krel-output');
      expect(Object.keys(published).sort()).to.deep.equal(want.sort());
      for (const name of ['SHA256SUMS.sig', 'provenance.intoto.jsonl', 'sbom.cdx.json'])
        expect(published[name], name).to.equal(`sha256:${sha256Of(path.join(dist, name))}`);
    });

    it('to a local store: the published release verifies with the public key', async () => {
      const store = path.join(work, 'store');
      const r = await krel(
        ['publish', '--config', CONFIG, '--store', `dir:${store}`, '--dist', dists['ecdsa-p256']],
        {
          RELEASE_TAG: 'v0.1-test',
        },
      );
      expect(r.code, r.stderr).to.equal(0);
      const rel = path.join(store, 'kontainapp/km/releases/download/v0.1-test');
      for (const name of ['SHA256SUMS.sig', 'provenance.intoto.jsonl', 'sbom.cdx.json'])
        expect(sha256Of(path.join(rel, name)), name).to.equal(sha256Of(path.join(dists['ecdsa-p256'], name)));
      const args = opensslVerifyArgs('ecdsa-p256', keys['ecdsa-p256'].pub, 'SHA256SUMS', 'SHA256SUMS.sig');
      expect(spawnSync('openssl', args, { cwd: rel, stdio: 'ignore' }).status).to.equal(0);
    });
  });

  // Last: the scan covers every run above (mocha runs a suite's own tests before its nested suites).
  describe('afterwards', () => {
    it('no private key material in any output of make, verify and publish, nor in any file they wrote', async () => {
      const dry = await krel([
        'make',
        '--config',
        CONFIG,
        '--dry-run',
        '--json',
        '--signing-key',
        keys.ed25519.file,
      ]);
      expect(dry.code, dry.stderr).to.equal(0);
      expect(JSON.parse(dry.stdout)).to.have.nested.property('signing.algorithm', 'ed25519');
      const json = await krel(['verify', dists.ed25519, '--json', '--key', keys.ed25519.pub]);
      expect(json.code).to.equal(0);
      expect(runs.length).to.be.at.least(10);
      const outputs = runs.map((r) => r.stdout + r.stderr).join('\n');
      const written: { name: string; bytes: Buffer }[] = [];
      const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isDirectory()) walk(full);
          else if (e.isFile() && !/\.pem$/.test(e.name))
            written.push({ name: full, bytes: readFileSync(full) });
        }
      };
      walk(work);
      expect(written.length).to.be.at.least(20);
      for (const key of [keys.ed25519, keys['ecdsa-p256']]) {
        for (const secret of key.secrets) {
          expect(outputs.includes(secret), `${key.kind} key material in the output`).to.equal(false);
          for (const f of written)
            expect(f.bytes.includes(secret), `${key.kind} key material in ${f.name}`).to.equal(false);
        }
        for (const f of written)
          expect(f.bytes.includes(key.raw), `${key.kind} raw key in ${f.name}`).to.equal(false);
      }
    });
  });
});
