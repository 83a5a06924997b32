/**
 * Accelerator choice: the plan (TCG when asked, or when KVM is known broken on this kernel) and the fallback on a
 * real VM: an accelerator attempt whose qemu aborts, and one that shows no kernel banner, are both abandoned for
 * TCG. The same VM then proves that target.gone fires when the guest stops on its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  forgetKvmVerdicts,
  KVM,
  planAccelerators,
  rememberedKvmVerdict,
  rememberKvmVerdict,
  TCG,
} from '../../src/vm/accelerator.js';
import { provisionQemu, type QemuTarget } from '../../src/vm/qemu-provider.js';
import {
  BOOT_TIMEOUT_MS,
  IMAGE_TIMEOUT_MS,
  pathGone,
  recordingLogger,
  testImage,
  waitGone,
} from '../support/vm.js';

describe('vm/accelerator plan', function () {
  let cacheDir: string;
  beforeEach(async function () {
    forgetKvmVerdicts();
    cacheDir = await mkdtemp(path.join(tmpdir(), 'krel-accel-'));
  });
  afterEach(async function () {
    forgetKvmVerdicts();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('an explicit choice is used alone', function () {
    expect(planAccelerators('tcg', cacheDir)).to.deep.equal([TCG]);
    expect(planAccelerators('kvm', cacheDir)).to.deep.equal([KVM]);
  });

  it('auto tries KVM first (under the watchdog) when /dev/kvm exists and nothing is known yet, TCG otherwise', function () {
    expect(planAccelerators('auto', cacheDir)).to.deep.equal(existsSync('/dev/kvm') ? [KVM, TCG] : [TCG]);
  });

  it('a remembered "KVM does not work" verdict for this kernel skips the attempt, also in a new process', async function () {
    await rememberKvmVerdict(cacheDir, false);
    expect(planAccelerators('auto', cacheDir)).to.deep.equal([TCG]);
    forgetKvmVerdicts(); // as a new process would: read back from the cache directory
    expect(rememberedKvmVerdict(cacheDir)).to.equal(false);
    expect(planAccelerators('auto', cacheDir)).to.deep.equal([TCG]);
  });

  it('KVM uses the host CPU and TCG the portable qemu64 model with two CPUs', function () {
    expect(KVM.args.join(' ')).to.include('-accel kvm -cpu host');
    expect(TCG.args.join(' ')).to.equal('-accel tcg -cpu qemu64 -smp 2');
  });
});

describe('vm/accelerator fallback on a real VM', function () {
  this.timeout(IMAGE_TIMEOUT_MS + BOOT_TIMEOUT_MS);
  let target: QemuTarget;
  const log = recordingLogger();

  before(async function () {
    await testImage();
    target = await provisionQemu({
      logger: log.logger,
      acceleratorCandidates: [
        // qemu refuses to start: an unknown CPU model
        { accelerator: 'kvm', args: ['-accel', 'tcg', '-cpu', 'no-such-cpu-model'] },
        // qemu runs but the guest never prints the kernel banner: CPUs stopped
        { accelerator: 'kvm', args: ['-accel', 'tcg', '-cpu', 'qemu64', '-S'] },
        TCG,
      ],
    });
  });

  after(async function () {
    await target?.dispose();
  });

  it('an attempt whose qemu exits and one without a kernel banner are abandoned; TCG boots and is reported', function () {
    const fallbacks = log.lines.filter((l) => l.includes('does not work here'));
    expect(fallbacks, log.lines.join('\n')).to.have.length(2);
    expect(fallbacks[0]).to.match(/qemu exited with code 1.*no-such-cpu-model/);
    expect(fallbacks[1]).to.include('no kernel banner within 8.0s');
    expect(target.accelerator).to.equal('tcg');
    expect(target.details.accelerator).to.equal('tcg');
    expect(target.timeScale).to.be.greaterThan(1);
  });

  it('target.gone aborts when the guest powers off on its own, and dispose() still removes everything', async function () {
    expect(target.gone.aborted).to.equal(false);
    spawnSync('sh', ['-c', `${target.enterCommand} -o BatchMode=yes 'sudo systemctl poweroff' || true`]);
    const deadline = Date.now() + 120_000;
    while (!target.gone.aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(target.gone.aborted, target.consoleTail()).to.equal(true);
    expect(String(target.gone.reason)).to.include('stopped');
    expect(await waitGone(target.pid)).to.equal(true);
    await target.dispose();
    expect(pathGone(target.runDir)).to.equal(true);
  });
});
