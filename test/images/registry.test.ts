/**
 * krel images against a real docker-registry (htpasswd auth, deletes on) with skopeo as the independent
 * client: what krel pushes, skopeo reads; what skopeo pushes, krel pulls and re-tags.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../support/free-port.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { imagesProject, refNames, type ImagesProject } from './fixture.js';

interface Inspect {
  Digest: string;
  Labels: Record<string, string>;
  Layers: string[];
}

describe('krel images with a docker registry and skopeo', function () {
  this.timeout(120_000);
  let reg: Registry;
  let p: ImagesProject;
  let env: NodeJS.ProcessEnv;
  const repos = ['runenv-python', 'runenv-python-3.7'];

  before(async () => {
    reg = await startRegistry();
    p = imagesProject();
    env = { REGISTRY_AUTH_FILE: reg.authFile };
    const built = await p.krel(['images', 'build']);
    expect(built.code, built.stderr).to.equal(0);
  });
  after(async () => {
    await reg.stop();
    p.cleanup();
  });

  const inspect = (ref: string): Inspect =>
    JSON.parse(reg.skopeo(['inspect', `docker://${reg.host}/kontainapp/${ref}`])) as Inspect;

  it('push creates latest and <sha> for the repository and its alias, one digest, the revision label, no layer sent twice', async () => {
    const r = await p.krel(['images', 'push', '--registry', `${reg.host}/kontainapp`, '--plain-http'], env);
    expect(r.code, r.stderr).to.equal(0);
    const seen = repos.flatMap((repo) => ['latest', p.commit].map((tag) => inspect(`${repo}:${tag}`)));
    expect(seen).to.have.length(4);
    expect(new Set(seen.map((s) => s.Digest)).size).to.equal(1);
    for (const s of seen) expect(s.Labels['org.opencontainers.image.revision']).to.equal(p.commit);
    const uploads = reg.requests().filter((l) => /^(PUT|PATCH) \/v2\/[^ ]*\/blobs\/uploads\//.test(l));
    const layer = seen[0]!.Layers[0]!;
    expect(uploads.filter((l) => l.includes(encodeURIComponent(layer)) || l.includes(layer))).to.have.length(
      1,
    );
    expect(uploads.filter((l) => l.includes('/runenv-python-3.7/'))).to.deep.equal([]);
    expect(
      reg
        .requests()
        .filter((l) => /^POST \/v2\/kontainapp\/runenv-python-3\.7\/blobs\/uploads\/\?.*mount=/.test(l)),
    ).to.have.length(2); // config and layer, mounted
  });

  it('what krel pushed, skopeo copies out whole (layer digests verified by skopeo)', () => {
    const out = path.join(p.root, 'copied');
    reg.skopeo(['copy', `docker://${reg.host}/kontainapp/runenv-python-3.7:${p.commit}`, `oci:${out}:x`]);
    expect(refNames(out)).to.deep.equal(['x']);
  });

  it('cleanup --tag CI-123 removes CI-123 everywhere and leaves latest and <sha> of the same manifest', async () => {
    const push = (...extra: string[]) =>
      p.krel(['images', 'push', '--registry', `${reg.host}/kontainapp`, '--plain-http', ...extra], env);
    expect((await push()).code).to.equal(0); // latest and <sha> (already there when the suite runs in order)
    const pushed = await push('--tag', 'CI-123');
    expect(pushed.code, pushed.stderr).to.equal(0);
    const digest = inspect('runenv-python:latest').Digest;
    for (const repo of repos) expect(inspect(`${repo}:CI-123`).Digest).to.equal(digest);
    const r = await p.krel(
      ['images', 'cleanup', '--registry', `${reg.host}/kontainapp`, '--plain-http', '--tag', 'CI-123'],
      env,
    );
    expect(r.code, r.stderr).to.equal(0);
    for (const repo of repos) {
      const tags = JSON.parse(reg.skopeo(['list-tags', `docker://${reg.host}/kontainapp/${repo}`])) as {
        Tags: string[];
      };
      expect(tags.Tags.sort(), repo).to.deep.equal([p.commit, 'latest'].sort());
      expect(inspect(`${repo}:latest`).Digest).to.equal(digest);
      expect(inspect(`${repo}:${p.commit}`).Digest).to.equal(digest);
    }
  });

  it('pull re-tags a skopeo-pushed image into the store under its kontain/ name, with no registry name left', async () => {
    reg.skopeo([
      'copy',
      '--format',
      'v2s2',
      `oci:${p.store}:kontain/runenv-python:latest`,
      `docker://${reg.host}/upstream/python3:1.2`,
    ]);
    const upstream = JSON.parse(
      reg.skopeo(['inspect', `docker://${reg.host}/upstream/python3:1.2`]),
    ) as Inspect;
    const raw = JSON.parse(reg.skopeo(['inspect', '--raw', `docker://${reg.host}/upstream/python3:1.2`])) as {
      mediaType: string;
    };
    expect(raw.mediaType).to.equal('application/vnd.docker.distribution.manifest.v2+json');
    const r = await p.krel(['images', 'pull', `${reg.host}/upstream/python3:1.2`, '--plain-http'], env);
    expect(r.code, r.stderr).to.equal(0);
    const [name, digest] = r.stdout.trim().split(' ');
    expect(name).to.equal('kontain/python3:1.2');
    const names = refNames(p.store);
    expect(names).to.include('kontain/python3:1.2');
    expect(names.filter((n) => n.includes(reg.host) || n.includes('upstream'))).to.deep.equal([]);
    const local = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${p.store}:kontain/python3:1.2`], { encoding: 'utf8' }),
    ) as Inspect;
    expect(local.Digest).to.equal(digest);
    expect(local.Layers).to.deep.equal(upstream.Layers);
    expect(local.Labels['org.opencontainers.image.revision']).to.equal(p.commit);
  });

  it('a blob larger than KREL_REGISTRY_CHUNK_BYTES goes up in PATCH chunks and arrives whole', async () => {
    const r = await p.krel(['images', 'push', '--registry', `${reg.host}/chunked`, '--plain-http'], {
      ...env,
      KREL_REGISTRY_CHUNK_BYTES: '256',
    });
    expect(r.code, r.stderr).to.equal(0);
    const local = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${p.store}:kontain/runenv-python:latest`], {
        encoding: 'utf8',
      }),
    ) as Inspect;
    const layer = local.Layers[0]!;
    const patches = reg
      .requests()
      .filter((l) => /^PATCH \/v2\/chunked\/runenv-python\/blobs\/uploads\//.test(l));
    expect(patches.length).to.be.at.least(2);
    reg.skopeo([
      'copy',
      `docker://${reg.host}/chunked/runenv-python:latest`,
      `oci:${path.join(p.root, 'chunked')}:x`,
    ]);
    const copied = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${path.join(p.root, 'chunked')}:x`], { encoding: 'utf8' }),
    ) as Inspect;
    expect(copied.Layers).to.deep.equal([layer]);
  });

  it('push --registry oci:PATH writes an image layout skopeo reads as oci:PATH:REPO:TAG', async () => {
    const out = path.join(p.root, 'pushed-layout');
    const r = await p.krel(['images', 'push', '--registry', `oci:${out}`, '--tag', 'CI-9']);
    expect(r.code, r.stderr).to.equal(0);
    expect(refNames(out)).to.deep.equal(['runenv-python-3.7:CI-9', 'runenv-python:CI-9']);
    const a = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${out}:runenv-python-3.7:CI-9`], { encoding: 'utf8' }),
    ) as Inspect;
    expect(a.Labels['org.opencontainers.image.revision']).to.equal(p.commit);
  });

  it('a wrong password is refused in one line, exit 3, and no credential is printed', async () => {
    const bad = path.join(p.root, 'bad-auth.json');
    writeFileSync(
      bad,
      JSON.stringify({
        auths: { [reg.host]: { auth: Buffer.from(`${reg.user}:wrong-password-1`).toString('base64') } },
      }),
    );
    const r = await p.krel(['images', 'push', '--registry', `${reg.host}/kontainapp`, '--plain-http'], {
      REGISTRY_AUTH_FILE: bad,
    });
    expect(r.code).to.equal(3);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.length(1);
    expect(r.stderr).to.match(/refused the credentials of "krel-ci"/);
    for (const secret of ['wrong-password-1', Buffer.from(`${reg.user}:wrong-password-1`).toString('base64')])
      expect(r.stdout + r.stderr).not.to.include(secret);
  });

  it('an unreachable registry is refused in one line, exit 3, naming the registry', async () => {
    const port = await freePort();
    const r = await p.krel(
      ['images', 'push', '--registry', `127.0.0.1:${port}/kontainapp`, '--plain-http'],
      env,
    );
    expect(r.code).to.equal(3);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.length(1);
    expect(r.stderr).to.include(`registry 127.0.0.1:${port} is unreachable (ECONNREFUSED`);
    expect(r.stdout + r.stderr).not.to.include(reg.password);
  });
});
