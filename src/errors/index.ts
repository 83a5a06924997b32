/**
 * The error family of krel. Every layer throws these; only src/cli maps them to exit codes
 * (see exitCodeOf in src/cli/exit-codes.ts). Messages are one line: what is wrong and how to fix it.
 */

export type ErrorKind = 'internal' | 'usage' | 'refused' | 'apply' | 'validation' | 'interrupted';

export class KrelError extends Error {
  readonly kind: ErrorKind;
  /** Extra lines shown after the message (e.g. one per config problem). */
  readonly details: readonly string[];

  constructor(
    kind: ErrorKind,
    message: string,
    options: { cause?: unknown; details?: readonly string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.details = options.details ?? [];
    this.name = new.target.name;
  }
}

/** Bad command line, bad krel.json, missing inputs: the user must change what they asked for. Exit 2. */
export class UsageError extends KrelError {
  constructor(message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super('usage', message, options);
  }
}

/** krel.json (or another declared input) does not pass validation. Exit 2. */
export class ConfigError extends UsageError {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(
      problems.length === 1
        ? `${file}: ${problems[0]}`
        : `${file}: ${problems.length} problems (fix each line below)`,
      { details: problems.length === 1 ? [] : problems },
    );
    this.problems = problems;
  }
}

/** A tag rule or a preflight check refused the command; nothing was changed. Exit 3. */
export class RefusedError extends KrelError {
  constructor(message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super('refused', message, options);
  }
}

/** Apply failed part-way; the message says what state is left. Exit 4. */
export class ApplyError extends KrelError {
  constructor(message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super('apply', message, options);
  }
}

/** Validation ran and at least one step failed. Exit 5. */
export class ValidationFailedError extends KrelError {
  constructor(message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super('validation', message, options);
  }
}

/** SIGINT/SIGTERM arrived; cleanup ran. Exit 130. */
export class InterruptedError extends KrelError {
  constructor(message = 'interrupted') {
    super('interrupted', message);
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
