/**
 * `krel validate --vm-image`: a cloud image built here from Debian packages (GPT, GRUB on an EFI system
 * partition, cloud-init; test/support/cloud-image.ts), booted with UEFI firmware on a throwaway overlay, gets
 * the run's user key and host key from a NoCloud seed and runs a guide. Nothing is downloaded; the image file
 * is byte-identical afterwards, and no qemu process, overlay or seed is left behind.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidationReport } from '../../src/validate/report.js';
import { runKrel } from '../support/cli.js';
import { cloudTestImage } from '../support/cloud-image.js';
import { makeSmallProject, type SmallProject } from '../support/small-project.js';
import { BOOT_TIMEOUT_MS, IMAGE_TIMEOUT_MS, processesMentioning } from '../support/vm.js';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('krel validate --vm-image (a cloud-init image built here, UEFI boot, NoCloud seed)', function () {
  this.timeout(2 * IMAGE_TIMEOUT_MS + BOOT_TIMEOUT_MS + 10 * 60_000);
  let work: string;
  let image: string;
  let project: SmallProject;

  before(async () => {
    image = await cloudTestImage();
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-vm-image-'));
    project = await makeSmallProject(path.join(work, 'project'), [
      'sudo cloud-init status --wait --long',
      'test "$(sudo cloud-init query v1.platform)" = nocloud && echo "datasource: nocloud"',
      '. /etc/os-release && echo "guest: $ID $VERSION_CODENAME as $(id -un)"',
    ]);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('boots the image with its own bootloader, logs in with the key and pinned host key from the seed, runs the guide, and leaves the image byte-identical and nothing running', async () => {
    const runRoot = path.join(work, 'tmp');
    mkdirSync(runRoot);
    const before = { sum: await sha256(image), mtime: statSync(image).mtimeMs };
    const r = await runKrel(
      ['validate', '--config', project.config, '--dist', project.dist, '--vm-image', image, '--json'],
      { env: { TMPDIR: runRoot }, timeoutMs: BOOT_TIMEOUT_MS + 5 * 60_000 },
    );
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.targets.map((t) => t.target)).to.deep.equal([path.basename(image)]);
    const t = report.targets[0]!;
    expect(t.details.image).to.match(/qcow2, UEFI, cloud-init NoCloud seed/);
    expect(t.steps.map((s) => s.status)).to.deep.equal(['passed', 'passed', 'passed']);
    expect(t.steps[1]!.outputTail).to.include('datasource: nocloud');
    expect(t.steps[2]!.outputTail).to.include('guest: debian bookworm as krel');
    expect(await sha256(image), 'the image is never written').to.equal(before.sum);
    expect(statSync(image).mtimeMs).to.equal(before.mtime);
    expect(processesMentioning(runRoot)).to.deep.equal([]);
    expect(processesMentioning(image), 'no qemu holds the image').to.deep.equal([]);
    expect(readdirSync(runRoot), 'the overlay, seed and firmware variables are gone').to.deep.equal([]);
  });
});
