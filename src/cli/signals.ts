/**
 * SIGINT/SIGTERM: abort the running command through one AbortSignal so cleanups (VM teardown, draft deletion)
 * run; a second signal exits at once with 130.
 */
export const abortController = new AbortController();

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
}
