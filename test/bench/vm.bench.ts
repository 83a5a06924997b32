/**
 * The qemu provider with a cached image: provision -> the guest's sshd answers (boot to SSH, including key and
 * overlay creation), the first command over the system ssh client, and dispose. BENCH_VM_ROUNDS (default 2)
 * boots; the best of each is reported. The image is built first if it is not cached (its build time is then
 * reported too; otherwise the build time recorded in the image's manifest is shown).
 */
import { spawnSync } from 'node:child_process';
import { provisionQemu } from '../../src/vm/qemu-provider.js';
import { recordingLogger, testImage } from '../support/vm.js';
import type { BenchResult } from './types.js';

export const name = 'vm';

/** Measured on an idle 2-core machine under TCG. */
const BOOT_GOAL_S = 13;

export async function run(): Promise<BenchResult[]> {
  const rounds = Math.max(1, Number(process.env.BENCH_VM_ROUNDS ?? 2));
  const imageStarted = Date.now();
  const image = await testImage();
  const rows: BenchResult[] = [
    {
      metric: image.built ? 'image build (this run)' : 'image build (recorded at build time)',
      value: image.built ? (Date.now() - imageStarted) / 1000 : image.manifest.buildSeconds,
      unit: 's',
    },
  ];
  let provision = Infinity;
  let boot = Infinity;
  let firstCommand = Infinity;
  let dispose = Infinity;
  let accelerator = '';
  for (let i = 0; i < rounds; i++) {
    const started = Date.now();
    const target = await provisionQemu({ logger: recordingLogger().logger });
    try {
      provision = Math.min(provision, (Date.now() - started) / 1000);
      boot = Math.min(boot, target.bootMs / 1000);
      accelerator = target.accelerator;
      const cmdStarted = Date.now();
      const r = spawnSync('sh', ['-c', `${target.enterCommand} -o BatchMode=yes true`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ssh into the VM failed: ${r.stderr}`);
      firstCommand = Math.min(firstCommand, (Date.now() - cmdStarted) / 1000);
    } finally {
      const disposeStarted = Date.now();
      await target.dispose();
      dispose = Math.min(dispose, (Date.now() - disposeStarted) / 1000);
    }
  }
  const note = `goal (${accelerator.toUpperCase()}, idle machine)`;
  rows.push(
    {
      metric: `boot to SSH, qemu start -> sshd (${accelerator})`,
      value: boot,
      unit: 's',
      reference: BOOT_GOAL_S,
      ratio: boot / BOOT_GOAL_S,
      note,
    },
    {
      metric: 'provision -> SSH ready (keys, overlay, boot)',
      value: provision,
      unit: 's',
      reference: BOOT_GOAL_S,
      ratio: provision / BOOT_GOAL_S,
      note,
    },
    { metric: 'first command over ssh (login + true)', value: firstCommand, unit: 's' },
    { metric: 'dispose (qemu gone, overlay removed)', value: dispose, unit: 's' },
  );
  return rows;
}
