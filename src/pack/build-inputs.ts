/** Run krel.json's `build` command in the source directory, its output streamed to the log. */
import { existsSync } from 'node:fs';
import { ApplyError, InterruptedError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { runProcess } from '../util/child-process.js';

export async function runBuild(
  command: string,
  cwd: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  // Its own process group, so an interrupt stops the whole build, not only the shell.
  const log = (l: string): void => logger.info(l);
  const r = await runProcess('sh', ['-c', command], {
    cwd,
    onStdout: log,
    onStderr: log,
    ...(signal !== undefined ? { signal } : {}),
  });
  if (r.aborted) throw new InterruptedError();
  if (r.code !== 0) {
    throw new ApplyError(
      `build command failed (exit ${r.code ?? 'by signal'}): ${command}; nothing was packaged: fix the build or pass --from DIR`,
    );
  }
}

/** Where the build runs: the source directory, or the config's directory while the source does not exist. */
export function buildDir(source: string, configDir: string): string {
  return existsSync(source) ? source : configDir;
}
