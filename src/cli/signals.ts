/**
 * SIGINT/SIGTERM: abort the running command through one AbortSignal so cleanups (VM teardown, draft deletion)
 * run; a second signal exits at once with 130.
 *
 * A closed reader (`krel validate --help | head -5`, a log pipe that dies): krel stops writing and exits quietly,
 * as a GNU tool does on SIGPIPE. Node ignores SIGPIPE, so the write fails with EPIPE instead, an 'error' event on
 * process.stdout or process.stderr that, unhandled, crashes with a stack trace. Here it aborts the running command
 * like a first signal (its cleanups run; the stream is destroyed, so their lines are dropped, never an error
 * again), main.ts prints nothing more, and the exit code is 141 (EXIT.brokenPipe = 128 + SIGPIPE): what a shell
 * reports for a GNU tool killed by SIGPIPE, so `set -o pipefail` treats `krel ... | head -1` as it treats
 * `yes | head -1`, and a consumer that died is not reported as a complete run.
 */
import { EXIT } from './exit-codes.js';

export const abortController = new AbortController();

let outputGone = false;

/** True once stdout or stderr lost its reader: the run ends with EXIT.brokenPipe and reports nothing. */
export function outputClosed(): boolean {
  return outputGone;
}

export function installSignalHandlers(): void {
  let count = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (count > 1) process.exit(130);
    process.stderr.write(`\nkrel: ${sig} received, cleaning up (send again to exit at once)\n`);
    abortController.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', onOutputError);
}

function onOutputError(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e; // any other write failure stays the crash it was
  outputGone = true;
  process.exitCode = EXIT.brokenPipe; // also when the error arrives after main.ts has set the code
  if (!abortController.signal.aborted)
    abortController.abort(new Error('the reader of krel output went away'));
}
