/**
 * The qemu provider with a cached image, cold boot against a restore of the image's saved machine state, measured
 * in the same run: provision -> the guest's sshd answers (keys, overlay, boot or restore, and after a restore the
 * clock and RNG refresh), the first command over the system ssh client, and dispose. BENCH_VM_ROUNDS (default 1)
 * VMs of each kind; the best of each is reported. The image is built and its state saved first if missing (the
 * build time is then reported too; otherwise the build time recorded in the image's manifest is shown).
 */
import { spawnSync } from 'node:child_process';
import { provisionQemu } from '../../src/vm/qemu-provider.js';
import { recordingLogger, testImage, testSnapshot } from '../support/vm.js';
import type { BenchResult } from './types.js';

export const name = 'vm';

/** Measured on an idle 2-core machine under TCG. */
const BOOT_GOAL_S = 13;
/** Issue 13: a restore costs at most a quarter of a cold boot. */
const RESTORE_RATIO_GOAL = 0.25;

interface Measured {
  provision: number;
  boot: number;
  firstCommand: number;
  dispose: number;
  accelerator: string;
}

async function measure(rounds: number, coldBoot: boolean): Promise<Measured> {
  const m: Measured = {
    provision: Infinity,
    boot: Infinity,
    firstCommand: Infinity,
    dispose: Infinity,
    accelerator: '',
  };
  for (let i = 0; i < rounds; i++) {
    const started = Date.now();
    const target = await provisionQemu({ logger: recordingLogger().logger, coldBoot });
    try {
      if (target.start !== (coldBoot ? 'cold boot' : 'restored'))
        throw new Error(`expected a ${coldBoot ? 'cold boot' : 'restore'}, got ${target.start}`);
      m.provision = Math.min(m.provision, (Date.now() - started) / 1000);
      m.boot = Math.min(m.boot, target.bootMs / 1000);
      m.accelerator = target.accelerator;
      const cmdStarted = Date.now();
      const r = spawnSync('sh', ['-c', `${target.enterCommand} -o BatchMode=yes true`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ssh into the VM failed: ${r.stderr}`);
      m.firstCommand = Math.min(m.firstCommand, (Date.now() - cmdStarted) / 1000);
    } finally {
      const disposeStarted = Date.now();
      await target.dispose();
      m.dispose = Math.min(m.dispose, (Date.now() - disposeStarted) / 1000);
    }
  }
  return m;
}

export async function run(): Promise<BenchResult[]> {
  const rounds = Math.max(1, Number(process.env.BENCH_VM_ROUNDS ?? 1));
  const imageStarted = Date.now();
  const image = await testImage();
  const rows: BenchResult[] = [
    {
      metric: image.built ? 'image build (this run)' : 'image build (recorded at build time)',
      value: image.built ? (Date.now() - imageStarted) / 1000 : image.manifest.buildSeconds,
      unit: 's',
    },
  ];
  await testSnapshot();
  const cold = await measure(rounds, true);
  const restored = await measure(rounds, false);
  const accel = cold.accelerator;
  const note = `goal (${accel.toUpperCase()}, idle machine)`;
  const vsCold = 'cold boot, this run';
  rows.push(
    {
      metric: `cold boot: qemu start -> sshd (${accel})`,
      value: cold.boot,
      unit: 's',
      reference: BOOT_GOAL_S,
      ratio: cold.boot / BOOT_GOAL_S,
      note,
    },
    { metric: 'cold boot: provision -> SSH ready', value: cold.provision, unit: 's' },
    {
      metric: `restored: qemu start -> sshd, clock and RNG set (${restored.accelerator})`,
      value: restored.boot,
      unit: 's',
      reference: cold.boot,
      ratio: restored.boot / cold.boot,
      note: vsCold,
    },
    {
      metric: 'restored: provision -> SSH ready',
      value: restored.provision,
      unit: 's',
      reference: cold.provision,
      ratio: restored.provision / cold.provision,
      note: `${vsCold} (goal <= ${RESTORE_RATIO_GOAL})`,
    },
    { metric: 'first command over ssh (login + true), cold boot', value: cold.firstCommand, unit: 's' },
    { metric: 'first command over ssh (login + true), restored', value: restored.firstCommand, unit: 's' },
    {
      metric: 'dispose (qemu gone, overlay removed)',
      value: Math.min(cold.dispose, restored.dispose),
      unit: 's',
    },
  );
  return rows;
}
