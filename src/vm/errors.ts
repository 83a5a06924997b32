/** The VM could not be built, booted or reached. The message says what failed and what was cleaned up. Exit 4. */
import { ApplyError } from '../errors/index.js';

export class VmError extends ApplyError {
  constructor(message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(message, options);
  }
}
