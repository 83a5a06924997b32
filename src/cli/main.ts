#!/usr/bin/env node
/** Entry point: run the program, map any error to its exit code, print it once, redacted. */
import { CommanderError } from 'commander';
import { InterruptedError, KrelError } from '../errors/index.js';
import { detectCi, formatAnnotation } from '../log/ci.js';
import { redact, registerEnvSecrets } from '../log/redact.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { buildProgram } from './program.js';
import { abortController, installSignalHandlers, outputClosed } from './signals.js';

function report(e: unknown): void {
  if (e instanceof CommanderError) return; // commander already printed it
  const ci = detectCi();
  if (e instanceof KrelError) {
    const note = formatAnnotation(ci, 'error', e.message);
    if (note !== undefined) process.stderr.write(redact(note) + '\n');
    process.stderr.write(redact(`krel: ${e.message}`) + '\n');
    for (const d of e.details) process.stderr.write(redact(`  ${d}`) + '\n');
    if (process.env.KREL_DEBUG !== undefined && e.stack !== undefined)
      process.stderr.write(redact(e.stack) + '\n');
    return;
  }
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(redact(`krel: internal error: ${text}`) + '\n');
}

async function main(): Promise<number> {
  // Before anything can fail: the error printer below redacts the environment's secrets too.
  registerEnvSecrets();
  installSignalHandlers();
  try {
    await buildProgram().parseAsync(process.argv);
    return EXIT.ok;
  } catch (e) {
    // The reader went away (signals.ts): the error is most likely the abort that followed; say nothing.
    if (outputClosed()) return EXIT.brokenPipe;
    const err = abortController.signal.aborted && !(e instanceof KrelError) ? new InterruptedError() : e;
    report(err);
    return exitCodeOf(err);
  }
}

const code = await main();
process.exitCode = outputClosed() ? EXIT.brokenPipe : code;
