/** A qcow2 overlay on a backing disk that is never written (a run's throwaway disk, a saved state's frozen one). */
import { runCommand } from './run-command.js';

/** Creates `file` backed by `backing` (a relative backing path is relative to `file`'s directory). */
export async function createOverlay(file: string, backing: string, backingFormat: string): Promise<void> {
  await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', backingFormat, '-b', backing, file]);
}
