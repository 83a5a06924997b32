/** The one place errors become exit codes (DESIGN.md "Exit codes"). */
import { CommanderError } from 'commander';
import { KrelError, type ErrorKind } from '../errors/index.js';

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  refused: 3,
  apply: 4,
  validation: 5,
  interrupted: 130,
  /** stdout or stderr lost its reader (EPIPE): 128 + SIGPIPE, as a shell reports a GNU tool killed by it */
  brokenPipe: 141,
} as const;

const BY_KIND: Record<ErrorKind, number> = {
  internal: EXIT.internal,
  usage: EXIT.usage,
  refused: EXIT.refused,
  apply: EXIT.apply,
  validation: EXIT.validation,
  interrupted: EXIT.interrupted,
};

export function exitCodeOf(e: unknown): number {
  if (e instanceof KrelError) return BY_KIND[e.kind];
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  return EXIT.internal;
}
