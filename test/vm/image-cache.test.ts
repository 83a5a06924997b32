/**
 * The image cache lock: while another krel holds the build lock, a second one waits and then uses that build
 * instead of building again. (The first build itself is exercised by every real-VM test through testImage.)
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import lockfile from 'proper-lockfile';
import { IMAGE_FILES } from '../../src/vm/image-build.js';
import { ensureImage, findCachedImage, imageDir } from '../../src/vm/image-cache.js';
import { loadRecipe } from '../../src/vm/image-recipe.js';
import { SUPERSEDED_RETENTION_MS } from '../../src/vm/image-prune.js';
import { IMAGE_TIMEOUT_MS, recordingLogger, testImage, waitFor } from '../support/vm.js';

describe('vm/image-cache', function () {
  this.timeout(IMAGE_TIMEOUT_MS);
  let cacheDir: string;

  beforeEach(async function () {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'krel-cache-'));
  });
  afterEach(async function () {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('the image is cached under <cache>/images/<name>-<recipe hash> with the kernel and initrd beside the qcow2 base', async function () {
    const image = await testImage();
    const recipe = loadRecipe('debian-12');
    expect(path.basename(image.dir)).to.equal(recipe.key);
    expect(path.basename(path.dirname(image.dir))).to.equal('images');
    expect(image.manifest.recipeHash).to.equal(recipe.hash);
    expect(image.manifest.suite).to.equal('bookworm');
    expect(image.kernel).to.match(/vmlinuz$/);
    expect(image.initrd).to.match(/initrd\.img$/);
  });

  it('a second krel waits for the build lock and reuses the image built meanwhile, without building again', async function () {
    const real = await testImage();
    const recipe = loadRecipe('debian-12');
    const final = imageDir(cacheDir, recipe);
    await mkdir(path.dirname(final), { recursive: true });
    const release = await lockfile.lock(final, { realpath: false, lockfilePath: `${final}.lock` });
    const log = recordingLogger();
    let mirrorAsked = false;
    const waiting = ensureImage({
      recipe,
      cacheDir,
      mirror: () => {
        mirrorAsked = true;
        return 'http://127.0.0.1:9/debian';
      },
      logger: log.logger,
    });
    await waitFor(
      () => log.lines.join('\n').includes('another krel is building it; waiting'),
      30_000,
      'the second krel to wait for the build lock',
    );
    // "the other krel" finishes: its image appears, then it lets go of the lock
    await mkdir(final);
    for (const f of [IMAGE_FILES.disk, IMAGE_FILES.kernel, IMAGE_FILES.initrd])
      await symlink(path.join(real.dir, f), path.join(final, f));
    await copyFile(path.join(real.dir, IMAGE_FILES.manifest), path.join(final, IMAGE_FILES.manifest));
    await release();
    const got = await waiting;
    expect(got.built).to.equal(false);
    expect(got.dir).to.equal(final);
    expect(mirrorAsked).to.equal(false);
    expect(log.lines.join('\n')).to.not.include('building guest image');
  });

  it('an image directory left incomplete (no manifest) is not used', async function () {
    const recipe = loadRecipe('debian-12');
    await mkdir(imageDir(cacheDir, recipe), { recursive: true });
    expect(findCachedImage(cacheDir, recipe)).to.equal(undefined);
  });

  it('using an image removes superseded images of its name unused for a day, and nothing else', async function () {
    const real = await testImage();
    const recipe = loadRecipe('debian-12');
    const images = path.join(cacheDir, 'images');
    const current = imageDir(cacheDir, recipe);
    await mkdir(current, { recursive: true });
    for (const f of [IMAGE_FILES.disk, IMAGE_FILES.kernel, IMAGE_FILES.initrd])
      await symlink(path.join(real.dir, f), path.join(current, f));
    await copyFile(path.join(real.dir, IMAGE_FILES.manifest), path.join(current, IMAGE_FILES.manifest));
    const old = new Date(Date.now() - SUPERSEDED_RETENTION_MS - 3600_000);
    const fake = async (key: string, when: Date): Promise<void> => {
      await mkdir(path.join(images, key));
      await writeFile(path.join(images, key, IMAGE_FILES.disk), 'disk');
      await writeFile(path.join(images, key, IMAGE_FILES.manifest), '{}');
      await utimes(path.join(images, key, IMAGE_FILES.manifest), when, when);
    };
    await fake('debian-12-00000000000000aa', old); // superseded, unused for a day: removed
    await fake('debian-12-00000000000000bb', new Date()); // used an hour ago by another krel: kept
    await fake('debian-12-00000000000000cc', old); // being built right now: kept
    await fake('debian-11-00000000000000dd', old); // another image name: kept
    const building = path.join(images, 'debian-12-00000000000000cc');
    const release = await lockfile.lock(building, { realpath: false, lockfilePath: `${building}.lock` });
    const log = recordingLogger();
    try {
      const got = await ensureImage({ recipe, cacheDir, mirror: () => 'unused', logger: log.logger });
      expect(got.dir).to.equal(current);
    } finally {
      await release();
    }
    expect((await readdir(images)).filter((e) => !e.endsWith('.lock')).sort()).to.deep.equal(
      [
        'debian-11-00000000000000dd',
        'debian-12-00000000000000bb',
        'debian-12-00000000000000cc',
        recipe.key,
      ].sort(),
    );
    expect(log.lines.join('\n')).to.match(/removed the superseded image debian-12-00000000000000aa/);
  });
});
