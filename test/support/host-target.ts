/**
 * A validation target on this machine for CLI tests: a real sshd on 127.0.0.1 (optionally in a mount namespace
 * where /opt and the home directory are throwaway, so the guide's `sudo mkdir /opt/kontain` stays there), a
 * work directory, optionally the example's dist/ made by krel, and the CLI arguments that reach the target
 * with its host key pinned. Registers its own before/after hooks.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runKrel } from './cli.js';
import { fixtureValue } from './fixture-value.js';
import { type Sshd, startSshd } from './sshd.js';

export const EXAMPLE_CONFIG = 'examples/kontain/krel.json';

export interface HostTargetOptions {
  /** Prefix of the work directory's name. */
  name: string;
  /** Throwaway /opt and home for the sshd's sessions (for steps that install). */
  isolate?: boolean;
  /** Run `krel make` of the example into <work>/dist before the tests. */
  make?: boolean;
}

export interface HostTarget {
  readonly sshd: Sshd;
  readonly work: string;
  /** <work>/dist (made when `make` was asked for). */
  readonly dist: string;
  /** The throwaway /opt the sessions see (isolate only). */
  readonly opt: string;
  /** user@127.0.0.1:port */
  readonly target: string;
  /** --host, --identity and, unless `pin` is false, --known-host-key. */
  hostArgs(pin?: boolean): string[];
}

export function useHostTarget(opts: HostTargetOptions): HostTarget {
  let sshd: Sshd | undefined;
  let work: string | undefined;
  before(async () => {
    // tsc emits even when an unrelated file has a type error; the CLI under test is what matters.
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), `krel-${opts.name}-`));
    if (opts.make === true) {
      const made = await runKrel(['make', '--config', EXAMPLE_CONFIG, '--out', path.join(work, 'dist')]);
      expect(made.code, made.stderr).to.equal(0);
    }
    if (opts.isolate === true) {
      const opt = path.join(work, 'opt');
      const home = path.join(work, 'home');
      mkdirSync(opt);
      mkdirSync(home);
      sshd = await startSshd({ mounts: { '/opt': opt, [os.homedir()]: home } });
    } else {
      sshd = await startSshd();
    }
  });
  after(async () => {
    await sshd?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
    sshd = undefined;
    work = undefined;
  });
  const need = <T>(v: T | undefined): T => fixtureValue(v, 'the host target');
  return {
    get sshd() {
      return need(sshd);
    },
    get work() {
      return need(work);
    },
    get dist() {
      return path.join(need(work), 'dist');
    },
    get opt() {
      return path.join(need(work), 'opt');
    },
    get target() {
      return `${need(sshd).endpoint.username}@127.0.0.1:${need(sshd).port}`;
    },
    hostArgs(pin = true) {
      const s = need(sshd);
      return [
        '--host',
        this.target,
        '--identity',
        s.identityFile,
        ...(pin ? ['--known-host-key', s.hostKeyFingerprint] : []),
      ];
    },
  };
}
