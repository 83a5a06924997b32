/**
 * A real OpenSSH sshd on 127.0.0.1 for tests: generated host and client keys in a temp dir, an OS-free port,
 * logins as the current user (root) by key only, no PAM. Optionally the server (and every session) sees
 * private directories mounted over host paths (a mount namespace), so commands run through it cannot touch
 * the host's real /opt.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { userInfo } from 'node:os';
import type { SshEndpoint } from '../../src/vm/types.js';
import { freePort } from './free-port.js';
import { ensureCommands } from './tools.js';

export interface SshdOptions {
  /** host path -> directory mounted over it for the server and its sessions (e.g. { '/opt': tmp }). */
  mounts?: Record<string, string>;
  /** Extra sshd_config lines. */
  config?: string[];
}

export interface Sshd {
  readonly port: number;
  readonly dir: string;
  readonly endpoint: SshEndpoint;
  /** Path of the client private key (for --identity). */
  readonly identityFile: string;
  readonly hostKeyFingerprint: string;
  /** A known_hosts line for this server. */
  readonly knownHostsLine: string;
  /** Fingerprint of a key that is NOT this server's (for refusal tests). */
  readonly otherFingerprint: string;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'krel-test', '-f', file]);
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' });
  const fp = out.split(/\s+/)[1];
  if (fp === undefined) throw new Error(`ssh-keygen -l printed nothing useful: ${out}`);
  return fp;
}

function start(sshdConfig: string, mounts: Record<string, string>): ChildProcess {
  const sshd = ['/usr/sbin/sshd', '-D', '-e', '-f', sshdConfig];
  const entries = Object.entries(mounts);
  const logFd: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  if (entries.length === 0) return spawn(sshd[0]!, sshd.slice(1), { stdio: logFd });
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    ...entries.map(([target, src]) => `mount --bind ${q(src)} ${q(target)}`),
    `exec ${sshd.map(q).join(' ')}`,
  ].join(' && ');
  return spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: logFd });
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  ensureCommands({ sshd: 'openssh-server', 'ssh-keygen': 'openssh-client', unshare: 'util-linux' });
  execFileSync('mkdir', ['-p', '/run/sshd']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'krel-sshd-'));
  const hostFp = keygen(path.join(dir, 'host_ed25519'));
  keygen(path.join(dir, 'client_ed25519'));
  const otherFingerprint = keygen(path.join(dir, 'other_ed25519'));
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_ed25519.pub')));
  const hostPub = readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  let lastErr = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${dir}/host_ed25519`,
        `AuthorizedKeysFile ${dir}/authorized_keys`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'AllowTcpForwarding yes',
        `PidFile ${dir}/sshd.pid`,
        'Subsystem sftp internal-sftp',
        'LogLevel VERBOSE',
        ...(opts.config ?? []),
        '',
      ].join('\n'),
    );
    let log = '';
    const child = start(config, opts.mounts ?? {});
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const check = (): void => {
        if (/Server listening on 127\.0\.0\.1/.test(log)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stderr?.on('data', check);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      lastErr = log;
      child.kill('SIGKILL');
      if (/Address already in use/.test(log)) continue;
      break;
    }
    const endpoint: SshEndpoint = {
      host: '127.0.0.1',
      port,
      username: userInfo().username,
      privateKey: readFileSync(path.join(dir, 'client_ed25519')),
      hostKeyFingerprint: hostFp,
    };
    return {
      port,
      dir,
      endpoint,
      identityFile: path.join(dir, 'client_ed25519'),
      hostKeyFingerprint: hostFp,
      knownHostsLine: `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`,
      otherFingerprint,
      log: () => log,
      stop: () =>
        new Promise<void>((resolve) => {
          const done = (): void => {
            rmSync(dir, { recursive: true, force: true });
            resolve();
          };
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', done);
          child.kill('SIGTERM');
        }),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start:\n${lastErr}`);
}
