/** Errors of the SSH layer, in the krel error family. */
import { KrelError, RefusedError } from '../errors/index.js';

/** The server presented a host key other than the pinned one. Never retried; exit 3. */
export class HostKeyMismatchError extends RefusedError {
  readonly expected: string;
  readonly presented: string;
  constructor(where: string, expected: string, presented: string, keyType: string) {
    super(
      `host key of ${where} is ${presented} (${keyType}) but ${expected} is pinned: refusing to connect ` +
        `(if the host was reinstalled, check the new key out of band and pin it)`,
    );
    this.expected = expected;
    this.presented = presented;
  }
}

/** The target could not be reached, or the connection broke. */
export class SshError extends KrelError {
  /** The server refused the key (as opposed to not answering). */
  readonly authentication: boolean;
  constructor(message: string, options: { cause?: unknown; authentication?: boolean } = {}) {
    super('apply', message, options.cause === undefined ? {} : { cause: options.cause });
    this.authentication = options.authentication ?? false;
  }
}
