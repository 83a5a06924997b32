/**
 * What a restored guest inherits from the instant its state was saved, put right before anyone uses it: its
 * clock (set from the host's) and its kernel RNG (host randomness mixed in, then a forced reseed), so two runs
 * restored from one state never share a clock skew or random numbers. Also the settling of a guest before its
 * state is saved: boot jobs finished, so a restored guest does not run them again.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { InterruptedError } from '../errors/index.js';
import { connect, exec, type SshConnection, type SshEndpoint } from '../ssh/index.js';
import { onTimeoutOrAbort } from '../util/cancel.js';
import { VmError } from './errors.js';

const EXEC_TIMEOUT_MS = 120_000;

async function run(conn: SshConnection, command: string, signal?: AbortSignal): Promise<string> {
  let out = '';
  let err = '';
  const r = await exec(conn, command, {
    timeoutMs: EXEC_TIMEOUT_MS,
    onStdout: (b) => (out += b.toString('utf8')),
    onStderr: (b) => (err += b.toString('utf8')),
    ...(signal ? { signal } : {}),
  });
  if (r.exitCode !== 0) {
    const why = r.timedOut ? 'timed out' : `exited with ${r.exitCode ?? r.signal ?? '?'}`;
    throw new VmError(`the guest command ${command.split(' ')[0] ?? ''} ${why}: ${err.trim().slice(-300)}`);
  }
  return out;
}

async function withConnection<T>(
  endpoint: SshEndpoint,
  signal: AbortSignal | undefined,
  f: (conn: SshConnection) => Promise<T>,
): Promise<T> {
  const conn = await connect(endpoint, { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  try {
    return await f(conn);
  } finally {
    conn.close();
  }
}

/** How long a restored guest may take to answer the refresh before the restore counts as failed. */
const REFRESH_TIMEOUT_MS = 20_000;
/** A first answer slower than this is asked again: the clock's error is at most the round trip. */
const GOOD_ROUND_TRIP_MS = 200;

export interface Refreshed {
  /** The last round trip (host writes the request, reads the answer). */
  roundTripMs: number;
  /** The guest's clock minus the host's after the refresh, estimated at the middle of the round trip. */
  offsetMs: number;
  rounds: number;
}

/**
 * Sets a restored guest's clock from the host's and reseeds its RNG through krel-refresh, the guest service that
 * waits on the virtio-serial port org.krel.refresh (validate/images/guest-setup.sh), reached through the run's
 * FIFO pair (qemu's pipe chardev: `<pipe>.in` to the guest, `<pipe>.out` from it). No login and no program is
 * started, so it costs milliseconds and runs while the SSH login is under way. Asked once more when the answer
 * was slow (a guest just resumed may take a moment to be scheduled), since the error is at most the round trip.
 */
export async function refreshGuest(pipe: string, signal?: AbortSignal): Promise<Refreshed> {
  const toGuest = openSync(`${pipe}.in`, constants.O_WRONLY | constants.O_NONBLOCK);
  const fromGuest = new Socket({
    fd: openSync(`${pipe}.out`, constants.O_RDONLY | constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });
  const lines = answers(fromGuest);
  try {
    const deadline = Date.now() + REFRESH_TIMEOUT_MS;
    for (let round = 1; ; round++) {
      const sent = Date.now();
      const ns = BigInt(sent) * 1_000_000n;
      const request = `refresh ${ns / 1_000_000_000n} ${ns % 1_000_000_000n} ${randomBytes(64).toString('hex')}\n`;
      writeSync(toGuest, request);
      const answer = await lines.next(deadline, signal);
      const received = Date.now();
      const ok = /^ok (\d+)\.(\d{9})$/.exec(answer);
      if (ok === null)
        throw new VmError(`the guest could not set its clock and RNG: ${answer.slice(0, 200)}`);
      const guestMs = Number(ok[1]) * 1000 + Number(ok[2]) / 1e6;
      const roundTripMs = received - sent;
      if (roundTripMs <= GOOD_ROUND_TRIP_MS || round === 3)
        return { roundTripMs, offsetMs: guestMs - (sent + received) / 2, rounds: round };
    }
  } finally {
    fromGuest.destroy();
    closeSync(toGuest);
  }
}

/** The guest's answers, one line at a time; waiting for one ends at the deadline, an abort or a closed port. */
function answers(stream: Socket): { next(deadline: number, signal?: AbortSignal): Promise<string> } {
  const lines: string[] = [];
  let ended: Error | undefined;
  let waiting: { resolve(line: string): void; reject(e: Error): void } | undefined;
  const fail = (e: Error): void => {
    ended ??= e;
    waiting?.reject(ended);
  };
  createInterface({ input: stream })
    .on('line', (line) => (waiting !== undefined ? waiting.resolve(line) : lines.push(line)))
    .on('close', () => fail(new VmError('qemu closed the refresh port')));
  stream.on('error', fail);
  return {
    next(deadline, signal) {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended !== undefined) return Promise.reject(ended);
      return new Promise<string>((resolve, reject) => {
        const done = (): void => {
          waiting = undefined;
          unwatch();
        };
        const unwatch = onTimeoutOrAbort({ timeoutMs: Math.max(0, deadline - Date.now()), signal }, (why) => {
          done();
          reject(
            why === 'abort'
              ? new InterruptedError()
              : new VmError(
                  `the guest did not answer the clock and RNG refresh within ${REFRESH_TIMEOUT_MS / 1000}s (krel-refresh)`,
                ),
          );
        });
        waiting = {
          resolve: (l) => {
            done();
            resolve(l);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        };
      });
    },
  };
}

/** Waits (up to two minutes) until the guest's boot jobs are done, so its saved state is a quiet machine. */
export async function settleGuest(endpoint: SshEndpoint, signal?: AbortSignal): Promise<void> {
  await withConnection(endpoint, signal, (conn) =>
    // "degraded" (a unit failed) still means the boot is over; only the waiting matters here.
    run(conn, 'timeout 110 systemctl is-system-running --wait >/dev/null; sync', signal),
  );
}
