/**
 * The guest image cache: <cacheDir>/images/<name>-<recipe hash>/ holds base.qcow2, vmlinuz, initrd.img and
 * manifest.json. A missing image is built in a temp directory beside it and renamed into place, under a lock so
 * two krel runs never build the same image twice (the second waits and reuses the first one's result).
 * Each use marks the image used and prunes superseded images of the same name (image-prune).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { InterruptedError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { formatDuration } from '../log/logger.js';
import { retry } from '../util/retry.js';
import { checkMirrorSuite } from './debian-mirror.js';
import { buildImage, IMAGE_FILES, type ImageManifest } from './image-build.js';
import type { ImageRecipe } from './image-recipe.js';
import { markImageUsed, pruneSupersededImages } from './image-prune.js';

export interface CachedImage {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  manifest: ImageManifest;
  /** True when this call built it. */
  built: boolean;
}

export interface EnsureImageOptions {
  recipe: ImageRecipe;
  cacheDir: string;
  /** Resolved lazily: only needed when the image must be built. */
  mirror: () => string;
  logger: Logger;
  signal?: AbortSignal;
}

export function imageDir(cacheDir: string, recipe: ImageRecipe): string {
  return path.join(cacheDir, 'images', recipe.key);
}

/** The cached image if it is complete, else undefined. */
export function findCachedImage(cacheDir: string, recipe: ImageRecipe): CachedImage | undefined {
  const dir = imageDir(cacheDir, recipe);
  const file = (f: string): string => path.join(dir, f);
  if (![IMAGE_FILES.disk, IMAGE_FILES.kernel, IMAGE_FILES.initrd].every((f) => existsSync(file(f))))
    return undefined;
  try {
    const manifest = JSON.parse(readFileSync(file(IMAGE_FILES.manifest), 'utf8')) as ImageManifest;
    if (manifest.recipeHash !== recipe.hash) return undefined;
    return {
      dir,
      disk: file(IMAGE_FILES.disk),
      kernel: file(IMAGE_FILES.kernel),
      initrd: file(IMAGE_FILES.initrd),
      manifest,
      built: false,
    };
  } catch {
    return undefined;
  }
}

export async function ensureImage(opts: EnsureImageOptions): Promise<CachedImage> {
  const { recipe, cacheDir, logger } = opts;
  const imagesDir = path.join(cacheDir, 'images');
  const image = await findOrBuild(opts, imagesDir);
  await markImageUsed(image.dir);
  await pruneSupersededImages(imagesDir, recipe, logger);
  return image;
}

async function findOrBuild(opts: EnsureImageOptions, imagesDir: string): Promise<CachedImage> {
  const { recipe, cacheDir, logger, signal } = opts;
  const cached = findCachedImage(cacheDir, recipe);
  if (cached !== undefined) {
    logger.debug(`image ${recipe.name}: cached at ${cached.dir}`);
    return cached;
  }
  await mkdir(imagesDir, { recursive: true });
  const final = imageDir(cacheDir, recipe);
  const release = await acquireLock(final, `image ${recipe.name}`, logger, signal);
  try {
    const done = findCachedImage(cacheDir, recipe);
    if (done !== undefined) return done; // another krel built it while we waited
    const mirror = opts.mirror();
    await checkMirrorSuite(mirror, recipe.suite, recipe.name, signal);
    // Left over from a build that was killed: nobody else can be building this key while we hold the lock.
    for (const entry of await readdir(imagesDir)) {
      if (entry.startsWith(`.build-${recipe.key}-`))
        await rm(path.join(imagesDir, entry), { recursive: true, force: true });
    }
    await rm(final, { recursive: true, force: true });
    const work = await mkdtemp(path.join(imagesDir, `.build-${recipe.key}-`));
    try {
      const out = path.join(work, 'image');
      await mkdir(out);
      const started = Date.now();
      await logger.section(`building guest image ${recipe.name} (first use; cached afterwards)`, () =>
        buildImage({ recipe, mirror, workDir: work, outDir: out, logger, ...(signal ? { signal } : {}) }),
      );
      await rename(out, final);
      logger.info(`image ${recipe.name} built in ${formatDuration(Date.now() - started)}: ${final}`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const built = findCachedImage(cacheDir, recipe);
    if (built === undefined) throw new Error(`image ${recipe.name}: ${final} is incomplete after the build`);
    return { ...built, built: true };
  } finally {
    await release();
  }
}

/** Holds `<target>.lock` (waiting while another krel holds it); `what` names the thing built, for the log. */
export async function acquireLock(
  target: string,
  what: string,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<() => Promise<void>> {
  let told = false;
  try {
    return await retry(
      () =>
        lockfile.lock(target, {
          realpath: false,
          lockfilePath: `${target}.lock`,
          stale: 30_000,
          update: 5_000,
          onCompromised: (e) => logger.warn(`${what}: build lock lost (${e.message})`),
        }),
      {
        attempts: Infinity,
        baseMs: 1000,
        maxMs: 1000,
        ...(signal !== undefined ? { signal } : {}),
        shouldRetry: (e) => (e as NodeJS.ErrnoException).code === 'ELOCKED',
        onRetry: () => {
          if (!told) logger.info(`${what}: another krel is building it; waiting for that build`);
          told = true;
        },
      },
    );
  } catch (e) {
    if (signal?.aborted === true) throw new InterruptedError();
    throw e;
  }
}
