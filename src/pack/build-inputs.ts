/** Run krel.json's `build` command in the source directory, its output streamed to the log. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ApplyError, InterruptedError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';

export async function runBuild(
  command: string,
  cwd: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  // Its own process group, so an interrupt stops the whole build, not only the shell.
  const child = spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const onAbort = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  for (const s of [child.stdout, child.stderr])
    createInterface({ input: s }).on('line', (l) => logger.info(l));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  }).finally(() => signal?.removeEventListener('abort', onAbort));
  if (signal?.aborted) throw new InterruptedError();
  if (code !== 0) {
    throw new ApplyError(
      `build command failed (exit ${code ?? 'by signal'}): ${command}; nothing was packaged: fix the build or pass --from DIR`,
    );
  }
}

/** Where the build runs: the source directory, or the config's directory while the source does not exist. */
export function buildDir(source: string, configDir: string): string {
  return existsSync(source) ? source : configDir;
}
