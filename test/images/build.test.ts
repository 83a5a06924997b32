/** krel images build: reproducible OCI images in an image layout that skopeo reads. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { imagesProject, PYTHON_IMAGES, refNames, type ImagesProject } from './fixture.js';

interface Inspect {
  Digest: string;
  Created: string;
  Labels: Record<string, string>;
  Env: string[];
  Layers: string[];
}

const skopeoInspect = (ref: string, raw = false): string =>
  execFileSync('skopeo', ['inspect', ...(raw ? ['--raw'] : []), ref], { encoding: 'utf8' });

describe('krel images build', function () {
  this.timeout(90_000);
  const projects: ImagesProject[] = [];
  const project = (...args: Parameters<typeof imagesProject>): ImagesProject => {
    const p = imagesProject(...args);
    projects.push(p);
    return p;
  };
  after(() => projects.forEach((p) => p.cleanup()));

  it('building twice (into fresh stores) gives the same manifest digest; another source date gives another', async () => {
    const p = project();
    const digests: string[] = [];
    for (const store of ['a', 'b']) {
      const r = await p.krel(['images', 'build', '--json', '--images-store', `oci:${store}`]);
      expect(r.code, r.stderr).to.equal(0);
      digests.push((JSON.parse(r.stdout) as { images: { digest: string }[] }).images[0]!.digest);
    }
    expect(digests[0]).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(digests[1]).to.equal(digests[0]);
    rmSync(path.join(p.root, 'a'), { recursive: true });
    const later = await p.krel(['images', 'build', '--json', '--images-store', 'a'], {
      SOURCE_DATE_EPOCH: '1700000001',
    });
    expect((JSON.parse(later.stdout) as { images: { digest: string }[] }).images[0]!.digest).not.to.equal(
      digests[0],
    );
  });

  it('the store is an OCI image layout skopeo reads: kontain/ name, created, revision/source/version labels, env', async () => {
    const p = project();
    const r = await p.krel(['images', 'build']);
    expect(r.code, r.stderr).to.equal(0);
    expect(refNames(p.store)).to.deep.equal(['kontain/runenv-python:latest']);
    const info = JSON.parse(skopeoInspect(`oci:${p.store}:kontain/runenv-python:latest`)) as Inspect;
    expect(r.stdout).to.equal(`kontain/runenv-python:latest ${info.Digest}\n`);
    expect(info.Created).to.equal('2023-11-14T22:13:20Z');
    expect(info.Labels).to.deep.equal({
      'org.opencontainers.image.revision': p.commit,
      'org.opencontainers.image.source': 'https://github.com/kontainapp/km',
      'org.opencontainers.image.version': 'latest',
    });
    expect(info.Env).to.deep.equal(['PYTHONHOME=/opt/kontain/python']);
    const raw = JSON.parse(skopeoInspect(`oci:${p.store}:kontain/runenv-python:latest`, true)) as {
      mediaType: string;
      layers: { mediaType: string }[];
    };
    expect(raw.mediaType).to.equal('application/vnd.oci.image.manifest.v1+json');
    expect(raw.layers.map((l) => l.mediaType)).to.deep.equal(['application/vnd.oci.image.layer.v1.tar+gzip']);
  });

  it('the layer is the deterministic tar of krel make: sorted, owner 0/0, the source date as mtime', async () => {
    const p = project();
    expect((await p.krel(['images', 'build'])).code).to.equal(0);
    const out = path.join(p.root, 'unpacked');
    execFileSync('skopeo', ['copy', `oci:${p.store}:kontain/runenv-python:latest`, `dir:${out}`]);
    const raw = JSON.parse(skopeoInspect(`oci:${p.store}:kontain/runenv-python:latest`, true)) as {
      layers: { digest: string }[];
    };
    const layer = path.join(out, raw.layers[0]!.digest.slice('sha256:'.length));
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', layer], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    const lines = listing.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).pop())).to.deep.equal([
      'opt/',
      'opt/kontain/',
      'opt/kontain/python/',
      'opt/kontain/python/bin/',
      'opt/kontain/python/bin/python3',
      'opt/kontain/python/lib/',
      'opt/kontain/python/lib/os.py',
    ]);
    for (const l of lines) expect(l).to.match(/ 0\/0 .* 2023-11-14 22:13:20 /);
  });

  it('an image already in the store is used as it is; --rebuild builds it again', async () => {
    const p = project();
    await p.krel(['images', 'build']);
    const again = await p.krel(['images', 'build', '--dry-run', '--json']);
    expect(
      (JSON.parse(again.stdout) as { actions: { kind: string }[] }).actions.map((a) => a.kind),
    ).to.deep.equal(['use']);
    const forced = await p.krel(['images', 'build', '--dry-run', '--json', '--rebuild']);
    const plan = JSON.parse(forced.stdout) as {
      version: number;
      kind: string;
      actions: Record<string, unknown>[];
    };
    expect(plan.version).to.equal(1);
    expect(plan.kind).to.equal('images-build');
    expect(plan.actions[0]).to.include({ kind: 'build', ref: 'kontain/runenv-python:latest', files: 2 });
  });

  it('a later image uses an earlier one through templates: {NAME.ref} as base, {arg.X} in env; platform in the name', async () => {
    const p = project([
      ...PYTHON_IMAGES,
      {
        name: 'runenv-app',
        platform: 'km',
        version: '1.0',
        base: '{runenv-python.ref}',
        args: { FROM_TAG: '{runenv-python.tag}' },
        env: { BASE_TAG: '{arg.FROM_TAG}', REV: '{commit}' },
      },
    ]);
    const r = await p.krel(['images', 'build']);
    expect(r.code, r.stderr).to.equal(0);
    expect(refNames(p.store)).to.deep.equal(['kontain/runenv-app-km:1.0', 'kontain/runenv-python:latest']);
    const base = JSON.parse(skopeoInspect(`oci:${p.store}:kontain/runenv-python:latest`)) as Inspect;
    const app = JSON.parse(skopeoInspect(`oci:${p.store}:kontain/runenv-app-km:1.0`)) as Inspect;
    expect(app.Layers).to.deep.equal(base.Layers);
    expect(app.Env).to.deep.equal(['PYTHONHOME=/opt/kontain/python', 'BASE_TAG=latest', `REV=${p.commit}`]);
    expect(app.Labels['org.opencontainers.image.version']).to.equal('1.0');
  });

  it('an unknown template is refused with exit 2 and one line naming where it is', async () => {
    const p = project([{ ...PYTHON_IMAGES[0], env: { X: '{nope.ref}' } }]);
    const r = await p.krel(['images', 'build']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(
      'krel: images[0].env.X: unknown template "{nope.ref}": use {commit}, {arg.KEY} or {NAME.ref|tag|name} of an image listed earlier\n',
    );
  });

  it('a missing payload is refused with exit 2 in one line, and nothing is written', async () => {
    const p = project([{ name: 'runenv-node', files: ['payloads/node'] }]);
    const r = await p.krel(['images', 'build']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal('krel: images[0].files[0]: no such file "payloads/node"\n');
    expect(r.stdout).to.equal('');
    expect(existsSync(p.store)).to.equal(false);
  });

  it('krel.json "images" is validated: a bad name and an image with neither files nor base, exit 2', async () => {
    const p = project([{ name: 'Runenv_Python!', files: ['payloads/python'] }, { name: 'empty' }]);
    const r = await p.krel(['images', 'build']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('images[0].name: must match pattern');
    const q = project([{ name: 'empty' }]);
    const s = await q.krel(['images', 'build']);
    expect(s.code).to.equal(2);
    expect(s.stderr).to.include('images[0]: give "files" (the payload) or a "base", or both');
  });
});
