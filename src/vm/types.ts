/**
 * A validation target: something krel can reach over SSH and later dispose of. Providers: qemu (a throwaway local
 * VM, src/vm/qemu*) and ssh (an existing host, src/vm/ssh-host*). src/validate drives targets; it never starts
 * qemu itself.
 */

import type { Logger } from '../log/logger.js';
import type { SshConnection, SshEndpoint } from '../ssh/index.js';

/** Re-exported: the endpoint type belongs to the SSH layer. */
export type { SshEndpoint };

export interface Target {
  /** Short name used in log prefixes and reports, e.g. "debian-12" or "user@lab:22". */
  readonly name: string;
  readonly endpoint: SshEndpoint;
  /** Aborted when the target dies on its own (qemu exited): readiness waits stop early. */
  readonly gone: AbortSignal;
  /** Human detail for the report (accelerator, image, boot time). */
  readonly details: Record<string, string>;
  /**
   * How much slower than a real machine commands run here (1 = native; a TCG-emulated VM is several times
   * slower): callers multiply step timeouts by it. Undefined means 1.
   */
  readonly timeScale?: number;
  /** A shell command that opens an interactive session on the target (printed for --keep). */
  readonly enterCommand?: string;
  /**
   * The logged-in connection the provider already holds (a restored VM's, after its clock and RNG were set), given
   * once to whoever asks first; undefined: open one. Saves a second SSH login on a slow guest.
   */
  takeConnection?(): SshConnection | undefined;
  /** The last lines of the console, for failure messages. */
  consoleTail(lines?: number): string;
  /** Destroy (VM) or release (host) the target. Idempotent; always called. */
  dispose(): Promise<void>;
}

export interface ProvisionOptions {
  signal?: AbortSignal;
  /** Where this run's lines go (a target's own log); default: the provider's logger. */
  logger?: Logger;
  /** Allow the guest to reach the network (default: restricted). */
  network?: boolean;
  /** Leave the VM running after the run (the caller prints how to enter it). */
  keep?: boolean;
}

export interface TargetProvider {
  provision(opts: ProvisionOptions): Promise<Target>;
}
