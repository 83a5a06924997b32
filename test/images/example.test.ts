/** The example's runenv images (examples/kontain/krel.json "images"), as the demo builds and pushes them. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runKrel } from '../support/cli.js';
import { refNames } from './fixture.js';

const CONFIG = 'examples/kontain/krel.json';

describe('the example runenv images (examples/kontain)', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(tmpdir(), 'krel-example-images-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('runenv-python (alias runenv-python-3.7) and runenv-node are built and pushed to oci: as latest and the commit SHA, each with its payload', async () => {
    const store = path.join(tmp, 'store');
    const registry = path.join(tmp, 'registry');
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    const built = await runKrel(['images', 'build', '--config', CONFIG, '--images-store', store], { env });
    expect(built.code, built.stderr).to.equal(0);
    expect(refNames(store).sort()).to.deep.equal([
      'kontain/runenv-node:latest',
      'kontain/runenv-python:latest',
    ]);
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const pushed = await runKrel(
      [
        'images',
        'push',
        '--config',
        CONFIG,
        '--images-store',
        store,
        '--registry',
        `oci:${registry}`,
        '--commit',
        commit,
      ],
      { env },
    );
    expect(pushed.code, pushed.stderr).to.equal(0);
    const repos = ['runenv-python', 'runenv-python-3.7', 'runenv-node'];
    expect(refNames(registry).sort()).to.deep.equal(
      repos.flatMap((r) => [`${r}:${commit}`, `${r}:latest`]).sort(),
    );
    const layer = (repo: string): string[] => {
      const dir = path.join(tmp, repo);
      execFileSync('skopeo', ['copy', '-q', `oci:${registry}:${repo}:latest`, `dir:${dir}`]);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
        layers: { digest: string }[];
      };
      const blob = path.join(dir, manifest.layers[0]!.digest.replace('sha256:', ''));
      return execFileSync('tar', ['-tzf', blob], { encoding: 'utf8' }).trim().split('\n');
    };
    expect(layer('runenv-python-3.7')).to.include('opt/kontain/payloads/python/bin/python3.km');
    expect(layer('runenv-node')).to.include('opt/kontain/payloads/node/bin/node.km');
  });
});
