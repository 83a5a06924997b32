/**
 * Prerequisites of `krel validate --vm` (and of building its guest image): which are present, which are missing,
 * and the apt-get command that installs them. planDoctor only looks; applyDoctorInstall installs.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { ApplyError, InterruptedError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { runProcess } from '../util/child-process.js';
import { type HostTool, VM_HOST_TOOLS } from './tools.js';

export type Prerequisite = HostTool;

export const PREREQUISITES: readonly Prerequisite[] = VM_HOST_TOOLS;

export interface CheckResult extends Prerequisite {
  found: boolean;
  path?: string;
  install: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
  missingPackages: string[];
  /** The command that installs everything missing, when something is. */
  installCommand?: string;
  notes: string[];
}

const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

function findCommand(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (path.isAbsolute(command)) return existsSync(command) ? command : undefined;
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function aptInstallCommand(packages: readonly string[], root: boolean): string {
  return `${root ? '' : 'sudo '}apt-get install -y ${packages.join(' ')}`;
}

function kvmNote(): string {
  if (!existsSync('/dev/kvm')) return '/dev/kvm: absent; VMs run emulated (TCG), several times slower';
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/kvm: present but not accessible to this user (join the kvm group); VMs run emulated (TCG)';
  }
  return '/dev/kvm: accessible; whether KVM really works is tested at each boot (TCG is the fallback)';
}

export function planDoctor(
  env: NodeJS.ProcessEnv = process.env,
  root = process.getuid?.() === 0,
): DoctorReport {
  const checks = PREREQUISITES.map((p): CheckResult => {
    const found = findCommand(p.command, env);
    return {
      ...p,
      found: found !== undefined,
      ...(found !== undefined ? { path: found } : {}),
      install: aptInstallCommand([p.debianPackage], root),
    };
  });
  const missingPackages = [...new Set(checks.filter((c) => !c.found).map((c) => c.debianPackage))];
  return {
    ok: missingPackages.length === 0,
    checks,
    missingPackages,
    ...(missingPackages.length > 0 ? { installCommand: aptInstallCommand(missingPackages, root) } : {}),
    notes: [kvmNote()],
  };
}

export function canInstallWithApt(): boolean {
  return process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function runLogged(cmd: string, args: string[], logger: Logger, signal?: AbortSignal): Promise<void> {
  const log = (line: string): void => {
    if (line.trim() !== '') logger.debug(line);
  };
  const r = await runProcess(cmd, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    onStdout: log,
    onStderr: log,
    ...(signal !== undefined ? { signal } : {}),
  });
  if (r.aborted) throw new InterruptedError(`interrupted: ${cmd} ${args.join(' ')} was stopped`);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code ?? r.signal}`);
}

/** apt-get update + install of the missing packages (root only). */
export async function applyDoctorInstall(
  report: DoctorReport,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  if (report.missingPackages.length === 0) return;
  try {
    await runLogged('apt-get', ['update'], logger, signal);
    await runLogged(
      'apt-get',
      ['install', '-y', '--no-install-recommends', ...report.missingPackages],
      logger,
      signal,
    );
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    throw new ApplyError(
      `installing ${report.missingPackages.join(' ')} failed (${errorMessage(e)}); run: ${report.installCommand ?? ''}`,
    );
  }
}
