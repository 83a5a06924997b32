import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runKrel } from '../support/cli.js';
import { EXAMPLE_CONFIG, useHostTarget } from '../support/host-target.js';

/**
 * krel release: make -> validate dist -> publish -> validate release, against a local store, validating on a real
 * sshd whose sessions see throwaway /opt and home directories (the guide's sudo mkdir /opt/kontain stays there).
 */
describe('krel release (pipeline gates, local store, real sshd)', function () {
  this.timeout(300_000);
  const host = useHostTarget({ name: 'release', isolate: true });

  const release = (store: string, out: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runKrel(
      [
        'release',
        '--config',
        EXAMPLE_CONFIG,
        '--store',
        `dir:${store}`,
        '--out',
        out,
        ...host.hostArgs(),
        ...extra,
      ],
      { env, timeoutMs: 280_000 },
    );
  const releasesDir = (store: string) => path.join(store, 'kontainapp/km/releases/download');
  const entries = (store: string) => (existsSync(releasesDir(store)) ? readdirSync(releasesDir(store)) : []);

  it('a failing validation of the local dist publishes nothing: exit 5, no release and no draft in the store', async () => {
    const store = path.join(host.work, 'store-fail');
    const doc = path.join(host.work, 'Broken.md');
    writeFileSync(doc, '# Install\n\n```bash\necho installing\nfalse\n```\n');
    const r = await release(store, path.join(host.work, 'dist-fail'), ['--doc', doc]);
    expect(r.code, r.stderr).to.equal(5);
    expect(r.stderr).to.match(/failed +validate dist/);
    expect(r.stderr).to.match(/not run +publish/);
    expect(entries(store), 'no release, no draft').to.deep.equal([]);
  });

  it('runs end to end; a second run replaces v0.1-test', async () => {
    const store = path.join(host.work, 'store-ok');
    const first = await release(store, path.join(host.work, 'dist-1'), ['--json']);
    expect(first.code, first.stderr).to.equal(0);
    const doc = JSON.parse(first.stdout) as {
      tag: string;
      url: string;
      steps: { name: string; status: string }[];
      validateDist: { passed: boolean };
      validateRelease: { passed: boolean };
      images?: { built: { ref: string }[]; pushed: string[] };
    };
    expect(doc.tag).to.equal('v0.1-test');
    expect(doc.steps.map((s) => [s.name, s.status])).to.deep.equal([
      ['preflight: tag rule and store (read-only)', 'done'],
      ['make', 'done'],
      ['validate dist', 'done'],
      ['images', 'done'],
      ['publish', 'done'],
      ['validate release', 'done'],
    ]);
    // The example's runenv images are built into the local image store (no --images-registry: not pushed).
    expect(doc.images?.built.map((i) => i.ref).sort()).to.deep.equal([
      'kontain/runenv-node:latest',
      'kontain/runenv-python:latest',
    ]);
    expect(doc.images?.pushed).to.deep.equal([]);
    expect(doc.validateDist.passed).to.equal(true);
    expect(doc.validateRelease.passed).to.equal(true);
    expect(first.stderr).to.include('release v0.1-test from the local store');
    const firstMeta = readFileSync(path.join(releasesDir(store), 'v0.1-test/.krel-release.json'), 'utf8');

    const second = await release(store, path.join(host.work, 'dist-2'), [
      '--junit-dir',
      path.join(host.work, 'junit'),
    ]);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout.trim()).to.match(/v0\.1-test\/?$/);
    expect(second.stderr).to.match(/replace v0\.1-test/);
    expect(entries(store)).to.deep.equal(['v0.1-test']);
    const secondMeta = readFileSync(path.join(releasesDir(store), 'v0.1-test/.krel-release.json'), 'utf8');
    expect(secondMeta, 'a new release replaced the first').to.not.equal(firstMeta);
    expect(readdirSync(path.join(host.work, 'junit')).sort()).to.deep.equal([
      'validate-dist.xml',
      'validate-release.xml',
    ]);
  });

  it('a --junit-dir that is a file fails in the preflight with exit 2 and one line, before anything is made', async () => {
    const file = path.join(host.work, 'junit-file');
    writeFileSync(file, 'mine\n');
    const out = path.join(host.work, 'dist-junit-file');
    for (const dir of [file, path.join(file, 'junit')]) {
      const r = await release(path.join(host.work, 'store-junit-file'), out, ['--junit-dir', dir]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n').at(-1)).to.equal(
        `krel: --junit-dir ${dir}: ${file} is a file: name a folder (it is created if missing)`,
      );
      expect(r.stderr).to.not.match(/\n\s+at /);
    }
    expect(readFileSync(file, 'utf8'), 'the file is untouched').to.equal('mine\n');
    expect(existsSync(out), 'make never ran').to.equal(false);
  });

  it('a tag the rules refuse fails in the preflight with exit 3, before anything is made', async () => {
    const store = path.join(host.work, 'store-beta');
    const env = { RELEASE_TAG: 'v0.9-beta' };
    const firstOut = path.join(host.work, 'dist-beta-1');
    const dist = await runKrel(['make', '--config', EXAMPLE_CONFIG, '--out', firstOut]);
    expect(dist.code, dist.stderr).to.equal(0);
    const pub = await runKrel(
      ['publish', '--config', EXAMPLE_CONFIG, '--store', `dir:${store}`, '--dist', firstOut],
      { env },
    );
    expect(pub.code, pub.stderr).to.equal(0);
    const out = path.join(host.work, 'dist-beta-2');
    const r = await release(store, out, [], env);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.match(/v0\.9-beta/);
    expect(r.stderr).to.match(/not run +make/);
    expect(existsSync(out), 'make never ran').to.equal(false);
  });
});
