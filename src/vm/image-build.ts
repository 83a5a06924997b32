/**
 * Build a guest image from Debian packages: mmdebstrap a root file system (guest setup in its customize hook),
 * copy the kernel and initrd out of /boot for direct kernel boot, pack the tree into ext4 with `mkfs.ext4 -d`
 * (no loop devices, no mounts) and convert it to a qcow2 base. Writes into outDir only.
 */
import { copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { shellQuote } from '../ssh/index.js';
import { VmError } from './errors.js';
import { IMAGE_FORMAT_VERSION, type ImageRecipe } from './image-recipe.js';
import { runCommand } from './run-command.js';

/** File names inside a cached image directory. */
export const IMAGE_FILES = {
  disk: 'base.qcow2',
  kernel: 'vmlinuz',
  initrd: 'initrd.img',
  manifest: 'manifest.json',
} as const;

export interface ImageManifest {
  name: string;
  suite: string;
  recipeHash: string;
  formatVersion: number;
  kernelVersion: string;
  mirror: string;
  builtAt: string;
  buildSeconds: number;
}

export interface BuildImageOptions {
  recipe: ImageRecipe;
  mirror: string;
  /** Scratch directory (the root file system is built here); removed by the caller. */
  workDir: string;
  /** Receives base.qcow2, vmlinuz, initrd.img and manifest.json. */
  outDir: string;
  logger: Logger;
  signal?: AbortSignal;
}

/** Paths are excluded from the guest to keep the image small (documentation is not needed to validate). */
const DPKG_EXCLUDES = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/info/*',
];

/** The mmdebstrap command line for a recipe (pure; shown in --verbose). */
export function mmdebstrapArgs(recipe: ImageRecipe, mirror: string, rootfs: string): string[] {
  return [
    '--variant=apt',
    '--mode=root',
    '--components=main',
    `--include=${recipe.packages.join(',')}`,
    '--aptopt=Acquire::Retries "3"',
    ...DPKG_EXCLUDES.map((o) => `--dpkgopt=${o}`),
    `--customize-hook=sh ${shellQuote(recipe.customizeScript)} "$1"`,
    recipe.suite,
    rootfs,
    mirror,
  ];
}

export async function buildImage(opts: BuildImageOptions): Promise<ImageManifest> {
  const { recipe, mirror, workDir, outDir, logger, signal } = opts;
  if (process.getuid?.() !== 0) {
    throw new VmError(
      `building the guest image ${recipe.name} needs root (mmdebstrap and mkfs.ext4 must keep file ownership): run krel once as root to fill the image cache`,
    );
  }
  const started = Date.now();
  const rootfs = path.join(workDir, 'rootfs');
  const raw = path.join(workDir, 'root.ext4');
  const run = (cmd: string, args: string[]): Promise<string> =>
    runCommand(cmd, args, { onLine: (l) => logger.debug(l), ...(signal ? { signal } : {}) });

  await logger.section(`installing ${recipe.suite} packages with mmdebstrap (${mirror})`, () =>
    run('mmdebstrap', mmdebstrapArgs(recipe, mirror, rootfs)),
  );
  const kernelVersion = await logger.section('copying the kernel and initrd', async () => {
    const boot = await readdir(path.join(rootfs, 'boot'));
    const kernel = boot.filter((f) => f.startsWith('vmlinuz-')).sort();
    const version = kernel.at(-1)?.slice('vmlinuz-'.length);
    if (version === undefined || !boot.includes(`initrd.img-${version}`)) {
      throw new VmError(
        `image ${recipe.name}: no kernel and initrd in /boot after mmdebstrap: add linux-image-cloud-amd64 and initramfs-tools to ${recipe.name}.json`,
      );
    }
    await copyFile(path.join(rootfs, 'boot', `vmlinuz-${version}`), path.join(outDir, IMAGE_FILES.kernel));
    await copyFile(path.join(rootfs, 'boot', `initrd.img-${version}`), path.join(outDir, IMAGE_FILES.initrd));
    return version;
  });
  await logger.section(`making the ext4 root file system (${recipe.diskSize}, sparse)`, async () => {
    await run('mkfs.ext4', ['-q', '-F', '-L', 'krel-root', '-d', rootfs, raw, recipe.diskSize]);
    await rm(rootfs, { recursive: true, force: true });
  });
  await logger.section('converting to a qcow2 base image', async () => {
    await run('qemu-img', ['convert', '-O', 'qcow2', raw, path.join(outDir, IMAGE_FILES.disk)]);
    await rm(raw, { force: true });
  });
  const manifest: ImageManifest = {
    name: recipe.name,
    suite: recipe.suite,
    recipeHash: recipe.hash,
    formatVersion: IMAGE_FORMAT_VERSION,
    kernelVersion,
    mirror,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  await writeFile(path.join(outDir, IMAGE_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
