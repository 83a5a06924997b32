/**
 * Which accelerator boots the guest. KVM only counts when it really works: /dev/kvm can exist and still be
 * unusable (qemu aborts, or the guest makes no progress), so krel tries it with a watchdog on the serial log
 * (the kernel banner must appear within a few seconds) and falls back to TCG. The verdict is remembered per
 * process and in the cache directory, keyed by the host kernel release.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHACHA20_FIRST } from '../ssh/index.js';
import { writeJsonAtomic } from '../util/atomic-write.js';

export type AcceleratorName = 'kvm' | 'tcg';
export type AcceleratorChoice = 'auto' | AcceleratorName;

export interface AcceleratorCandidate {
  /** What the report says. */
  accelerator: AcceleratorName;
  /** qemu arguments selecting it (accelerator, CPU model, CPUs). */
  args: string[];
  /** The SSH ciphers to offer the guest: its CPU model decides which it runs fast (undefined: ssh2's default). */
  sshCiphers?: readonly string[];
}

export const KVM: AcceleratorCandidate = {
  accelerator: 'kvm',
  args: [
    '-accel',
    'kvm',
    '-cpu',
    'host',
    '-smp',
    String(Math.max(1, Math.min(2, os.availableParallelism()))),
  ],
};

export const TCG: AcceleratorCandidate = {
  accelerator: 'tcg',
  args: ['-accel', 'tcg', '-cpu', 'qemu64', '-smp', '2'],
  // qemu64 has no AES instructions.
  sshCiphers: CHACHA20_FIRST,
};

/** How long a KVM attempt may take to print the kernel banner before it is declared broken. */
export const KVM_WATCHDOG_MS = 8_000;

interface Verdict {
  hostKernel: string;
  kvmWorks: boolean;
  checkedAt: string;
}

const remembered = new Map<string, boolean>();

function verdictFile(cacheDir: string): string {
  return path.join(cacheDir, 'accelerator.json');
}

/** The remembered KVM verdict for this machine's kernel, if any. */
export function rememberedKvmVerdict(cacheDir: string): boolean | undefined {
  const key = os.release();
  const mem = remembered.get(key);
  if (mem !== undefined) return mem;
  try {
    const v = JSON.parse(readFileSync(verdictFile(cacheDir), 'utf8')) as Verdict;
    if (v.hostKernel === key && typeof v.kvmWorks === 'boolean') {
      remembered.set(key, v.kvmWorks);
      return v.kvmWorks;
    }
  } catch {
    // no verdict yet
  }
  return undefined;
}

export async function rememberKvmVerdict(cacheDir: string, kvmWorks: boolean): Promise<void> {
  remembered.set(os.release(), kvmWorks);
  const v: Verdict = { hostKernel: os.release(), kvmWorks, checkedAt: new Date().toISOString() };
  await writeJsonAtomic(verdictFile(cacheDir), v);
}

/** Forget the per-process verdicts (tests). */
export function forgetKvmVerdicts(): void {
  remembered.clear();
}

/**
 * The candidates to try in order (plan only). The last one is used without a watchdog; each earlier one must
 * show the kernel banner within KVM_WATCHDOG_MS or it is abandoned for the next.
 */
export function planAccelerators(choice: AcceleratorChoice, cacheDir: string): AcceleratorCandidate[] {
  if (choice === 'tcg') return [TCG];
  if (choice === 'kvm') return [KVM];
  if (!existsSync('/dev/kvm')) return [TCG];
  const verdict = rememberedKvmVerdict(cacheDir);
  // A remembered success is still tried under the watchdog: it costs nothing when KVM works.
  return verdict === false ? [TCG] : [KVM, TCG];
}
