import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../src/errors/index.js';
import { mmdebstrapArgs } from '../../src/vm/image-build.js';
import { listRecipes, loadRecipe, RECIPE_DIR } from '../../src/vm/image-recipe.js';

describe('vm/image-recipe', function () {
  it('ships debian-12 and debian-11 recipes with the packages the guest needs', function () {
    expect(listRecipes()).to.include.members(['debian-11', 'debian-12']);
    const r = loadRecipe('debian-12');
    expect(r.suite).to.equal('bookworm');
    expect(loadRecipe('debian-11').suite).to.equal('bullseye');
    for (const p of [
      'openssh-server',
      'linux-image-cloud-amd64',
      'systemd',
      'systemd-sysv',
      'curl',
      'ca-certificates',
      'sudo',
      'tar',
      'gzip',
      'openssl',
    ])
      expect(r.packages).to.include(p);
    expect(r.key).to.match(/^debian-12-[0-9a-f]{16}$/);
  });

  it('an unknown image name is a usage error listing the known ones', function () {
    expect(() => loadRecipe('fedora-40')).to.throw(
      UsageError,
      /unknown VM image "fedora-40": use one of .*debian-12/,
    );
  });

  it('the cache key changes when the recipe or its setup script changes', async function () {
    const dir = await mkdtemp(path.join(tmpdir(), 'krel-recipe-'));
    try {
      await cp(RECIPE_DIR, dir, { recursive: true });
      const before = loadRecipe('debian-12', dir).key;
      expect(loadRecipe('debian-12', dir).key).to.equal(before);
      await writeFile(path.join(dir, 'guest-setup.sh'), '\n# changed\n', { flag: 'a' });
      const afterScript = loadRecipe('debian-12', dir).key;
      expect(afterScript).to.not.equal(before);
      await writeFile(
        path.join(dir, 'debian-12.json'),
        JSON.stringify({
          ...JSON.parse('{}'),
          suite: 'bookworm',
          packages: ['sudo'],
          customize: 'guest-setup.sh',
        }),
      );
      expect(loadRecipe('debian-12', dir).key).to.not.equal(afterScript);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a malformed recipe names the file and the field', async function () {
    const dir = await mkdtemp(path.join(tmpdir(), 'krel-recipe-'));
    try {
      await writeFile(
        path.join(dir, 'bad.json'),
        JSON.stringify({ suite: 'bookworm', packages: ['ok', 'Not A Package'], customize: 'x.sh' }),
      );
      expect(() => loadRecipe('bad', dir)).to.throw(
        UsageError,
        /bad\.json: "packages" must be a list of Debian package names/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('mmdebstrap gets the suite, the mirror, the packages and the guest setup as its customize hook', function () {
    const r = loadRecipe('debian-12');
    const args = mmdebstrapArgs(r, 'http://m.example/debian', '/tmp/x/rootfs');
    expect(args.slice(-3)).to.deep.equal(['bookworm', '/tmp/x/rootfs', 'http://m.example/debian']);
    expect(args).to.include(`--include=${r.packages.join(',')}`);
    expect(args.find((a) => a.startsWith('--customize-hook='))).to.include(r.customizeScript);
  });
});
