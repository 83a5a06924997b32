/**
 * A child process that provisions a VM, for the signal tests: `tsx test/support/vm-child.ts MODE RUN_ROOT`.
 * MODE "plain" installs no signal handlers (the provider's own guard must clean up); "cli" installs krel's CLI
 * handlers and disposes when the abort signal fires, like a command does; "keep" provisions with keep and an
 * open network, disposes and exits 0 (the VM must live on). Prints "BOOTING" once qemu is being started and
 * "READY <qemu pid> <overlay> <run dir>" once the guest answers (with keep also "ENTER <ssh command>"); then
 * waits to be signalled.
 */
import { abortController, installSignalHandlers } from '../../src/cli/signals.js';
import { InterruptedError } from '../../src/errors/index.js';
import { Logger } from '../../src/log/logger.js';
import { provisionQemu } from '../../src/vm/qemu-provider.js';

const [mode = 'plain', runRoot] = process.argv.slice(2);
const cli = mode === 'cli';
const keep = mode === 'keep';
if (cli) installSignalHandlers();

const logger = new Logger({
  ci: 'none',
  write: (line) => {
    process.stderr.write(line + '\n');
    if (line.includes('booting ')) process.stdout.write('BOOTING\n');
  },
});

// Holds the event loop open while the VM waits to be signalled; finish() releases it so the process ends with the
// given code once nothing else is pending (exit handlers run as usual).
let keepAlive: NodeJS.Timeout | undefined;
function finish(code: number): void {
  process.exitCode = code;
  if (keepAlive !== undefined) clearInterval(keepAlive);
}

try {
  const target = await provisionQemu(
    { logger, ...(runRoot !== undefined ? { runRoot } : {}) },
    cli ? { signal: abortController.signal } : keep ? { keep: true, network: true } : {},
  );
  process.stdout.write(`READY ${target.pid} ${target.overlay} ${target.runDir}\n`);
  if (keep) {
    process.stdout.write(`ENTER ${target.enterCommand ?? ''}\n`);
    await target.dispose();
    finish(0);
  } else {
    if (cli) {
      abortController.signal.addEventListener('abort', () => {
        void target.dispose().then(() => finish(130));
      });
    }
    keepAlive = setInterval(() => undefined, 60_000);
  }
} catch (e) {
  process.stderr.write(`vm-child: ${(e as Error).message}\n`);
  finish(e instanceof InterruptedError ? 130 : 1);
}
