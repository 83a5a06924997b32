/**
 * The qemu provider: a throwaway local VM booted from a cached Debian image (built on first use), reachable over
 * SSH on 127.0.0.1 with a per-run key and a pinned per-run host key. The VM is always destroyed by dispose(),
 * on process exit and on SIGINT/SIGTERM; `keep` leaves it running.
 */
import type { Logger } from '../log/logger.js';
import type { ProvisionOptions, Target, TargetProvider } from './types.js';

export type AcceleratorChoice = 'auto' | 'kvm' | 'tcg';

export interface QemuProviderOptions {
  /** Guest image name: a recipe validate/images/<image>.json, e.g. "debian-12" (default) or "debian-11". */
  image?: string;
  /** Progress and diagnostics (image build phases, accelerator, boot time); mmdebstrap output with --verbose. */
  logger?: Logger;
  /** Cache root; default $XDG_CACHE_HOME/krel or ~/.cache/krel (images live under <cacheDir>/images). */
  cacheDir?: string;
  /** Debian mirror URL; default: the first Debian mirror in /etc/apt/sources.list(.d). */
  mirror?: string;
  /** 'auto' (default) tries KVM with a watchdog on the serial log and falls back to TCG. */
  accelerator?: AcceleratorChoice;
  /** Guest memory in MiB (default 1024). */
  memoryMiB?: number;
  /** How long to wait for the guest's sshd to answer (default 180 s). */
  bootTimeoutMs?: number;
  /** Parent directory of the per-run directory (overlay, serial log, QMP socket); default os.tmpdir(). */
  runRoot?: string;
}

export function createQemuProvider(options: QemuProviderOptions): TargetProvider {
  return {
    provision(opts: ProvisionOptions): Promise<Target> {
      void options;
      void opts;
      return Promise.reject(new Error('qemu provider: not implemented yet'));
    },
  };
}
