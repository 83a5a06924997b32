/**
 * A cloud image built here from Debian packages, for the --vm-image tests: a GPT disk with an EFI system
 * partition (GRUB as a standalone EFI program) and an ext4 root holding cloud-init, sshd and sudo, as
 * distributions ship cloud images, so nothing is downloaded. Built without loop devices or mounts: mmdebstrap
 * makes the tree (test/fixtures/cloud-image/), mkfs.vfat + mcopy the EFI partition, mkfs.ext4 -d the root,
 * sfdisk the partition table on a plain file, dd writes each partition at its offset, qemu-img converts to
 * qcow2. Cached like krel's images (<cache>/images/<recipe key>-cloud<format>/), built at most once per process.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { userCacheDir } from '../../src/vm/cache-dir.js';
import { readDebianMirror } from '../../src/vm/debian-mirror.js';
import { mmdebstrapArgs } from '../../src/vm/image-build.js';
import { loadRecipe } from '../../src/vm/image-recipe.js';
import { runCommand } from '../../src/vm/run-command.js';
import { ensureCommands } from './tools.js';
import { TEST_TOOLS } from './test-tools.js';

export const CLOUD_RECIPE_DIR = fileURLToPath(new URL('../fixtures/cloud-image/', import.meta.url));
export const CLOUD_IMAGE_NAME = 'debian-12-cloud';

/** Bump when the disk layout below changes (the recipe's hash covers the package list and setup script). */
const CLOUD_FORMAT = 1;
const MiB = 1024 * 1024;
const ESP_MIB = 64;
const ROOT_MIB = 3 * 1024;
/** GUIDs of an EFI system partition and a Linux file system. */
const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const LINUX_TYPE = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

/** The tools this builder and a --vm-image boot need, from the suite's table. */
const TOOLS = Object.fromEntries(
  ['mmdebstrap', 'mkfs.ext4', 'mkfs.vfat', 'mcopy', 'mmd', 'mformat', 'sfdisk', 'qemu-img'].map((c) => [
    c,
    TEST_TOOLS[c] ?? c,
  ]),
);

let built: Promise<string> | undefined;

/** The cloud image (qcow2), built on first use; the same file afterwards. */
export function cloudTestImage(log: (line: string) => void = () => {}): Promise<string> {
  built ??= buildCloudImage(log);
  return built;
}

async function buildCloudImage(log: (line: string) => void): Promise<string> {
  ensureCommands(TOOLS);
  const recipe = loadRecipe(CLOUD_IMAGE_NAME, CLOUD_RECIPE_DIR);
  const imagesDir = path.join(userCacheDir(), 'images');
  const final = path.join(imagesDir, `${recipe.key}-cloud${CLOUD_FORMAT}`);
  const disk = path.join(final, `${CLOUD_IMAGE_NAME}.qcow2`);
  if (existsSync(disk)) return disk;
  await mkdir(imagesDir, { recursive: true });
  const work = await mkdtemp(path.join(imagesDir, `.build-${recipe.key}-cloud-`));
  const run = (cmd: string, args: string[]): Promise<string> => runCommand(cmd, args, { onLine: log });
  try {
    const rootfs = path.join(work, 'rootfs');
    const mirror = process.env.KREL_DEBIAN_MIRROR ?? readDebianMirror();
    await run('mmdebstrap', mmdebstrapArgs(recipe, mirror, rootfs));

    const esp = path.join(work, 'esp.img');
    await run('mkfs.vfat', ['-C', '-n', 'ESP', esp, String(ESP_MIB * 1024)]);
    await run('mmd', ['-i', esp, '::/EFI', '::/EFI/BOOT']);
    await run('mcopy', ['-i', esp, path.join(rootfs, 'boot', 'bootx64.efi'), '::/EFI/BOOT/BOOTX64.EFI']);

    const root = path.join(work, 'root.ext4');
    await run('mkfs.ext4', ['-q', '-F', '-L', 'cloudroot', '-d', rootfs, root, `${ROOT_MIB}M`]);
    await rm(rootfs, { recursive: true, force: true });

    // 1 MiB for the GPT, the partitions, 1 MiB for its backup at the end.
    const raw = path.join(work, 'disk.raw');
    const handle = await open(raw, 'w');
    await handle.truncate((1 + ESP_MIB + ROOT_MIB + 1) * MiB);
    await handle.close();
    const sectors = (mib: number): number => (mib * MiB) / 512;
    const table = [
      'label: gpt',
      `start=${sectors(1)}, size=${sectors(ESP_MIB)}, type=${ESP_TYPE}, name="EFI"`,
      `start=${sectors(1 + ESP_MIB)}, size=${sectors(ROOT_MIB)}, type=${LINUX_TYPE}, name="root"`,
    ].join('\n');
    const script = path.join(work, 'table.sfdisk');
    await writeFile(script, `${table}\n`);
    await run('sh', ['-c', 'sfdisk --no-reread --no-tell-kernel "$1" <"$2"', 'sfdisk', raw, script]);
    await run('dd', [`if=${esp}`, `of=${raw}`, 'bs=1M', 'seek=1', 'conv=notrunc,sparse', 'status=none']);
    await run('dd', [
      `if=${root}`,
      `of=${raw}`,
      'bs=1M',
      `seek=${1 + ESP_MIB}`,
      'conv=notrunc,sparse',
      'status=none',
    ]);

    const out = path.join(work, 'image');
    await mkdir(out);
    await run('qemu-img', ['convert', '-O', 'qcow2', raw, path.join(out, `${CLOUD_IMAGE_NAME}.qcow2`)]);
    await rm(final, { recursive: true, force: true });
    await rename(out, final);
    return disk;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
