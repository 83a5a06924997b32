/**
 * The real peers tests use are installed here when missing (apt-get, as root), never skipped.
 * A tool that cannot be installed fails the suite loudly with the command to run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let aptUpdated = false;

/** A command on PATH (or in /usr/sbin, /sbin); an absolute path is a file that must exist (e.g. firmware). */
export function hasCommand(cmd: string): boolean {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return (
    spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0 ||
    spawnSync('sh', ['-c', `test -x /usr/sbin/${cmd} || test -x /sbin/${cmd}`], { stdio: 'ignore' })
      .status === 0
  );
}

/** Ensure each command exists, installing the Debian package that provides it. { command: package } */
export function ensureCommands(needed: Record<string, string>): void {
  const missing = Object.entries(needed).filter(([cmd]) => !hasCommand(cmd));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.map(([c]) => c).join(', ')}: run as root, or: sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    if (!aptUpdated) {
      execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
      aptUpdated = true;
    }
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'ignore', env });
  } catch (e) {
    throw new Error(`could not install ${pkgs.join(' ')} with apt-get: ${(e as Error).message}`);
  }
  const still = missing.filter(([cmd]) => !hasCommand(cmd));
  if (still.length > 0)
    throw new Error(`installed ${pkgs.join(' ')} but still missing: ${still.map(([c]) => c).join(', ')}`);
}
