/**
 * What a qemu run boots: the disk its throwaway overlay is made on, and the boot files the run needs beside it.
 * A krel image (a recipe, cached) boots its kernel directly with the keys in fw_cfg; a user's cloud image
 * (user-image.ts) boots from its own disk with a cloud-init seed.
 */
import type { CachedImage } from './image-cache.js';
import type { DiskBoot, KernelBoot } from './qemu-args.js';
import type { RunFiles } from './run-dir.js';
import type { KeyPair } from './ssh-keys.js';

export interface RunKeys {
  /** The key krel logs in with. */
  client: KeyPair;
  /** The guest's host key for this run (pinned). */
  host: KeyPair;
}

export interface GuestDisk {
  /** The target's name: the recipe, or the user image's file name. */
  name: string;
  /** The overlay's backing file and its format (never written). */
  backing: string;
  backingFormat: string;
  /** For the report, e.g. "debian-12 (bookworm, kernel 6.1.0-...)". */
  description: string;
  /** The cached krel image, when it is one. */
  image?: CachedImage;
  /** Writes what this boot needs into the run directory; returns the boot part of the qemu files. */
  bootFiles(run: RunFiles, keys: RunKeys): Promise<KernelBoot | DiskBoot>;
}

/** A cached krel image: direct kernel boot, the keys passed through fw_cfg. */
export function recipeGuest(name: string, image: CachedImage): GuestDisk {
  return {
    name,
    backing: image.disk,
    backingFormat: 'qcow2',
    description: `${name} (${image.manifest.suite}, kernel ${image.manifest.kernelVersion})`,
    image,
    bootFiles: (run, keys) =>
      Promise.resolve({
        kernel: image.kernel,
        initrd: image.initrd,
        authorizedKey: keys.client.publicKeyFile,
        hostKey: keys.host.privateKeyFile,
        refreshPipe: run.refreshPipe,
      }),
  };
}
