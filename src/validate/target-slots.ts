/**
 * How many targets run at once. VMs are bounded by this machine: one per core (an emulated guest keeps a core
 * busy) and as many as the free memory holds (the guest's memory plus qemu's own, keeping some for the rest);
 * hosts cost little here and all run at once. `--concurrency N` sets both.
 */
import os from 'node:os';

/** Guest memory (the qemu provider's default) plus qemu's own overhead, in bytes. */
const VM_BYTES = (1024 + 256) * 1024 * 1024;
/** Memory left for everything else. */
const RESERVE_BYTES = 512 * 1024 * 1024;

export interface TargetSlots {
  vms: number;
  hosts: number;
  /** Why, for the log. */
  reason: string;
}

export function targetSlots(
  counts: { vms: number; hosts: number },
  explicit?: number,
  machine: { cores: number; freeBytes: number } = {
    cores: os.availableParallelism(),
    freeBytes: os.freemem(),
  },
): TargetSlots {
  if (explicit !== undefined) {
    return { vms: explicit, hosts: explicit, reason: `--concurrency ${explicit}` };
  }
  const byMemory = Math.floor((machine.freeBytes - RESERVE_BYTES) / VM_BYTES);
  const vms = Math.max(1, Math.min(machine.cores, byMemory, Math.max(1, counts.vms)));
  const gib = (machine.freeBytes / 1024 ** 3).toFixed(1);
  return {
    vms,
    hosts: Math.max(1, counts.hosts),
    reason: `${machine.cores} cores and ${gib} GiB free: up to ${vms} VM(s) at once`,
  };
}
