/**
 * Superseded guest images: when a recipe changes, its image gets a new cache key and the old one is no longer
 * used. Each use touches the image's manifest; an image of the same name under another key, unused for a day
 * and not being built, is removed (renamed aside first, so nobody sees it half-deleted). Images of other names
 * and recently used ones (another krel version on this machine may still use them) are left alone.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { Logger } from '../log/logger.js';
import { IMAGE_FILES } from './image-build.js';
import type { ImageRecipe } from './image-recipe.js';

/** How long a superseded image is kept after its last use. */
export const SUPERSEDED_RETENTION_MS = 24 * 3600 * 1000;

/** Record that the image in `dir` was just used. */
export async function markImageUsed(dir: string): Promise<void> {
  const now = new Date();
  await utimes(path.join(dir, IMAGE_FILES.manifest), now, now).catch(() => undefined);
}

async function lastUsed(dir: string): Promise<number> {
  const manifest = path.join(dir, IMAGE_FILES.manifest);
  return (await stat(existsSync(manifest) ? manifest : dir)).mtimeMs;
}

async function beingBuilt(dir: string): Promise<boolean> {
  return lockfile
    .check(dir, { realpath: false, lockfilePath: `${dir}.lock`, stale: 30_000 })
    .catch(() => true);
}

/** Remove superseded images of `recipe.name`, saying so for each. Never throws: pruning is best effort. */
export async function pruneSupersededImages(
  imagesDir: string,
  recipe: ImageRecipe,
  logger: Logger,
): Promise<void> {
  const same = new RegExp(`^${recipe.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{16}$`);
  const now = Date.now();
  let entries: string[];
  try {
    entries = await readdir(imagesDir);
  } catch {
    return;
  }
  for (const key of entries) {
    // Set aside by a prune that was killed before it finished: nobody uses these.
    if (key.startsWith('.prune-'))
      await rm(path.join(imagesDir, key), { recursive: true, force: true }).catch(() => undefined);
    if (key === recipe.key || !same.test(key)) continue;
    const dir = path.join(imagesDir, key);
    try {
      const age = now - (await lastUsed(dir));
      if (age < SUPERSEDED_RETENTION_MS || (await beingBuilt(dir))) continue;
      const aside = await mkdtemp(path.join(imagesDir, `.prune-${key}-`));
      await rename(dir, path.join(aside, 'image'));
      await rm(aside, { recursive: true, force: true });
      await rm(`${dir}.lock`, { recursive: true, force: true });
      logger.info(
        `image ${recipe.name}: removed the superseded image ${key} (unused for ${Math.floor(age / 3600_000)} h)`,
      );
    } catch (e) {
      logger.debug(`image ${recipe.name}: could not prune ${key}: ${(e as Error).message}`);
    }
  }
}
