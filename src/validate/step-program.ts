/**
 * The shell program of one step, as the target's bash runs it (after session.ts's prologue):
 * - a script runs as written;
 * - a file step writes the block, byte for byte, to its file;
 * - a transcript runs its commands one by one, each with stderr joined to stdout (the reader's terminal shows
 *   both), and after each prints a marker line with its exit status, so the host can cut the output into
 *   commands and compare each with what the transcript shows. A command that exits other than shown stops it.
 */
import { shellQuote } from '../ssh/index.js';
import type { Step } from './steps.js';

/**
 * Marker lines krel prints around a step's output, each preceded by a newline so it starts a line, with a
 * nonce the step cannot guess: `end` after each transcript command, `exit` when the step's shell has exited.
 */
export function markers(nonce: string): { end: RegExp; exit: RegExp; printExit: string } {
  return {
    end: new RegExp(`^@@krel:${nonce}:end:(\\d+)@@$`),
    exit: new RegExp(`^@@krel:${nonce}:exit:(\\d+)@@$`),
    printExit: `printf '\\n@@krel:${nonce}:exit:%s@@\\n' "$?"`,
  };
}

export function stepProgram(step: Step, nonce: string): string {
  switch (step.kind) {
    case 'script':
      return step.script;
    case 'file': {
      const to = shellQuote(step.writeTo ?? '');
      const body = Buffer.from(step.script.endsWith('\n') ? step.script : `${step.script}\n`).toString(
        'base64',
      );
      const write = `mkdir -p -- "$(dirname -- ${to})" && printf '%s' '${body}' | base64 -d > ${to}`;
      return step.before !== undefined ? `${step.before}\n${write}` : write;
    }
    case 'transcript': {
      const lines = ['set +e'];
      for (const c of step.commands ?? []) {
        lines.push(
          `{ ${c.command}`,
          '} 2>&1',
          '__krel_rc=$?',
          `printf '\\n@@krel:${nonce}:end:%s@@\\n' "$__krel_rc"`,
          `[ "$__krel_rc" -eq ${c.exitCode} ] || exit "$(( __krel_rc == 0 ? 1 : __krel_rc ))"`,
        );
      }
      return lines.join('\n');
    }
  }
}
