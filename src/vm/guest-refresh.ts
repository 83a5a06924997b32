/**
 * What a restored guest inherits from the instant its state was saved, put right over SSH before anyone uses it:
 * its clock (set from the host's) and its kernel RNG (host randomness mixed in, then a forced reseed), so two
 * runs restored from one state never share a clock skew or random numbers. Also the settling of a guest before
 * its state is saved: boot jobs finished, so a restored guest does not run them again.
 */
import { randomBytes } from 'node:crypto';
import { connect, exec, shellQuote, type SshConnection, type SshEndpoint } from '../ssh/index.js';
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

/**
 * One root program (x86-64 system calls): adds ARGV[0] seconds to CLOCK_REALTIME relative to the guest's own
 * clock (clock_gettime, clock_settime), then mixes ARGV[1] (hex) into the RNG and forces a reseed
 * (RNDRESEEDCRNG). One process instead of a shell, two dates and two perls: each costs time under emulation.
 */
const REFRESH_PERL = [
  'my ($off, $hex) = @ARGV; my $ts = pack("q2", 0, 0);',
  'syscall(228, 0, $ts) == 0 or die "clock_gettime: $!\\n";',
  'my ($s, $ns) = unpack("q2", $ts); my $t = $s + $ns / 1e9 + $off; my $S = int($t);',
  'syscall(227, 0, pack("q2", $S, int(($t - $S) * 1e9))) == 0 or die "clock_settime: $!\\n";',
  'open(my $f, ">", "/dev/urandom") or die "$!\\n"; print $f pack("H*", $hex); close($f) or die "$!\\n";',
  'open($f, "<", "/dev/urandom") or die "$!\\n"; ioctl($f, 0x5207, 0) or die "RNDRESEEDCRNG: $!\\n";',
].join(' ');

/**
 * Sets the guest clock from the host's and reseeds its RNG, over `conn` (the connection the caller then hands on,
 * so a restore pays for one SSH login). The offset is measured with one round trip and applied inside the guest
 * relative to its own clock, so the command's start-up time adds no error.
 * Returns the measured offset before the correction (host minus guest, in seconds).
 */
export async function refreshGuest(conn: SshConnection, signal?: AbortSignal): Promise<number> {
  const sent = Date.now();
  const guest = Number((await run(conn, 'date +%s.%N', signal)).trim());
  const received = Date.now();
  if (!Number.isFinite(guest)) throw new VmError('the guest did not tell its time');
  const offset = (sent + received) / 2000 - guest;
  const args = [offset.toFixed(6), randomBytes(64).toString('hex')];
  await run(conn, `sudo -n perl -e ${shellQuote(REFRESH_PERL)} ${args.join(' ')}`, signal);
  return offset;
}

/** Waits (up to two minutes) until the guest's boot jobs are done, so its saved state is a quiet machine. */
export async function settleGuest(endpoint: SshEndpoint, signal?: AbortSignal): Promise<void> {
  await withConnection(endpoint, signal, (conn) =>
    // "degraded" (a unit failed) still means the boot is over; only the waiting matters here.
    run(conn, 'timeout 110 systemctl is-system-running --wait >/dev/null; sync', signal),
  );
}
