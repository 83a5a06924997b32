/**
 * Connect to an SshEndpoint with the host key pinned, and wait for a booting machine's sshd to answer.
 * This directory is the only place that imports ssh2.
 */
import { type CipherAlgorithm, Client } from 'ssh2';
import { errorMessage } from '../errors/index.js';
import { describeEndpoint, type SshEndpoint } from './endpoint.js';
import { HostKeyMismatchError, SshError } from './errors.js';
import { fingerprintOf, keyTypeOf } from './fingerprint.js';

export interface SshConnection {
  readonly endpoint: SshEndpoint;
  /** The ssh2 client; only src/ssh uses it. */
  readonly client: Client;
  /** Resolves when the connection closes, for any reason. */
  readonly closed: Promise<void>;
  /** The cipher the handshake chose (client to server). */
  readonly cipher: string;
  close(): void;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Time allowed for TCP connect + handshake + authentication. Default 20 s. */
  timeoutMs?: number;
  /** Keepalive interval; the connection is declared dead after 4 missed replies. Default 10 s. */
  keepaliveMs?: number;
}

/** One connection attempt. A host key other than the pinned one fails with HostKeyMismatchError. */
export function connect(endpoint: SshEndpoint, opts: ConnectOptions = {}): Promise<SshConnection> {
  const where = describeEndpoint(endpoint);
  const client = new Client();
  let mismatch: HostKeyMismatchError | undefined;
  return new Promise<SshConnection>((resolve, reject) => {
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      client.end();
      client.destroy();
      reject(e);
    };
    const onAbort = (): void => fail(new SshError(`connecting to ${where}: aborted`));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const closed = new Promise<void>((res) => client.once('close', () => res()));
    let cipher = '';
    client.once('handshake', (n: { cs: { cipher: string } }) => (cipher = n.cs.cipher));
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ endpoint, client, closed, cipher, close: () => client.end() });
    });
    client.on('error', (e: Error & { level?: string }) => {
      const auth = e.level === 'client-authentication';
      fail(
        mismatch ??
          new SshError(
            auth
              ? `ssh ${where}: the server refused the key (check the identity and the user name)`
              : `ssh ${where}: ${e.message}`,
            { cause: e, authentication: auth },
          ),
      );
    });
    client.once('close', () => fail(mismatch ?? new SshError(`ssh ${where}: connection closed`)));
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.username,
      privateKey: endpoint.privateKey,
      // Straight to the key: no "none" attempt first (a round trip that only learns the server wants a key).
      authHandler: ['publickey'],
      ...(endpoint.ciphers !== undefined
        ? { algorithms: { cipher: [...endpoint.ciphers] as CipherAlgorithm[] } }
        : {}),
      readyTimeout: opts.timeoutMs ?? 20_000,
      keepaliveInterval: opts.keepaliveMs ?? 10_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer): boolean => {
        const expected = endpoint.hostKeyFingerprint;
        if (expected === undefined) return true; // explicitly unpinned (--insecure-host-key)
        const presented = fingerprintOf(key);
        if (presented === expected) return true;
        mismatch = new HostKeyMismatchError(where, expected, presented, keyTypeOf(key));
        return false;
      },
    });
  });
}

export interface WaitOptions {
  /** Epoch milliseconds after which waiting fails. */
  deadline: number;
  /** Aborted when the target died (qemu exited) or the user interrupted: waiting stops at once. */
  signal?: AbortSignal;
  /** Length of each attempt. Default 5 s. */
  attemptTimeoutMs?: number;
  /** Pause between attempts. Default 1 s. */
  intervalMs?: number;
  onAttempt?: (attempt: number, error: Error | undefined) => void;
}

/** Refused keys tolerated while a guest finishes booting. */
const AUTH_ATTEMPTS = 3;

/**
 * Short connection attempts until one succeeds, the deadline passes, or the signal aborts. A refused host key
 * is final: it is thrown at once, never retried; a refused key is final after AUTH_ATTEMPTS tries.
 */
export async function waitForSsh(endpoint: SshEndpoint, opts: WaitOptions): Promise<SshConnection> {
  const where = describeEndpoint(endpoint);
  let attempt = 0;
  let refusals = 0;
  let last: Error | undefined;
  for (;;) {
    if (opts.signal?.aborted) {
      throw new SshError(
        `gave up waiting for ssh on ${where}: ${errorMessage(opts.signal.reason)}` +
          (last !== undefined ? ` (last attempt: ${last.message})` : ''),
      );
    }
    const remaining = opts.deadline - Date.now();
    if (remaining <= 0) {
      throw new SshError(
        `ssh on ${where} did not answer within the deadline after ${attempt} attempts` +
          (last !== undefined ? ` (last: ${last.message})` : ''),
      );
    }
    attempt++;
    try {
      const conn = await connect(endpoint, {
        timeoutMs: Math.max(1000, Math.min(opts.attemptTimeoutMs ?? 5000, remaining)),
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      });
      opts.onAttempt?.(attempt, undefined);
      return conn;
    } catch (e) {
      if (e instanceof HostKeyMismatchError) throw e;
      // A booting guest may refuse a key for a moment; a key refused again and again is the wrong key.
      if (e instanceof SshError && e.authentication && ++refusals >= AUTH_ATTEMPTS) throw e;
      last = e instanceof Error ? e : new Error(String(e));
      opts.onAttempt?.(attempt, last);
    }
    await sleep(Math.min(opts.intervalMs ?? 1000, Math.max(0, opts.deadline - Date.now())), opts.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
