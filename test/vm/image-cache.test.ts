/**
 * The image cache lock: while another krel holds the build lock, a second one waits and then uses that build
 * instead of building again. (The first build itself is exercised by every real-VM test through testImage.)
 */
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import lockfile from 'proper-lockfile';
import { IMAGE_FILES } from '../../src/vm/image-build.js';
import { ensureImage, findCachedImage, imageDir } from '../../src/vm/image-cache.js';
import { loadRecipe } from '../../src/vm/image-recipe.js';
import { IMAGE_TIMEOUT_MS, recordingLogger, testImage } from '../support/vm.js';

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
    await new Promise((r) => setTimeout(r, 1500));
    expect(log.lines.join('\n')).to.include('another krel is building it; waiting');
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
});
