/**
 * The existing-host provider: a machine someone else runs (a cloud VM, a lab box) reached over SSH.
 * Nothing is provisioned and nothing is destroyed; the host key is pinned by the caller.
 */
import { describeEndpoint, type SshEndpoint } from '../ssh/index.js';
import type { Target, TargetProvider } from './types.js';

export interface SshHostOptions {
  /** Name in logs and reports; default user@host:port. */
  name?: string;
  endpoint: SshEndpoint;
}

export function createSshHostProvider(options: SshHostOptions): TargetProvider {
  const { endpoint } = options;
  const name = options.name ?? describeEndpoint(endpoint);
  return {
    provision(): Promise<Target> {
      // An existing host never "dies" under us the way a VM process can; connection errors say so instead.
      const gone = new AbortController();
      return Promise.resolve({
        name,
        endpoint,
        gone: gone.signal,
        details: { kind: 'existing host' },
        consoleTail: () => '',
        dispose: () => Promise.resolve(),
      });
    },
  };
}
