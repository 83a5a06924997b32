/**
 * Console transcripts: a block of prompt lines (the commands) each followed by the output a reader should see.
 *
 *   $ /opt/kontain/bin/km hello_test.km Hello
 *   Hello
 *   $ false
 *   [1]
 *
 * A prompt is `$ `, or `# ` in a block that has no `$ ` prompt (beside `$ ` prompts `# ` starts a comment),
 * optionally after `user@host:dir`, `[user@host dir]` or `(venv)`. A command continues
 * over lines ending in `\` and over the lines of a here-document, with or without a leading `> ` (PS2). Output
 * runs to the next prompt; a last output line `[N]` (cram style) says the command exits N instead of 0.
 */

export interface TranscriptCommand {
  /** The command as the shell runs it (continuations joined with newlines, PS2 prompts removed). */
  command: string;
  /** The output lines as written (matching rules: expected-output.ts). */
  expected: string[];
  /** The exit status the transcript shows ([N]), 0 when it shows none. */
  exitCode: number;
  /** Line of the prompt within the block (1-based). */
  line: number;
}

const PREFIX = String.raw`(?:\([^()\s]+\)\s+)?(?:[\w.-]+@[\w.-]+(?::[^\s$#]*)?|\[[^\]\n]+\])?`;
const DOLLAR_PROMPT = new RegExp(String.raw`^${PREFIX}\$(?: |$)`);
const ANY_PROMPT = new RegExp(String.raw`^${PREFIX}[$#](?: |$)`);
const EXIT_LINE = /^\[(\d{1,3})\]\s*$/;

/** True when some line starts with a `$ ` prompt (or, with rootPrompts, a `# ` one). */
export function looksLikeTranscript(text: string, rootPrompts = false): boolean {
  const prompt = rootPrompts ? ANY_PROMPT : DOLLAR_PROMPT;
  return text.split('\n').some((l) => prompt.test(l));
}

function promptOf(line: string, rootPrompts: boolean): string | undefined {
  const m = (rootPrompts ? ANY_PROMPT : DOLLAR_PROMPT).exec(line);
  return m?.[0];
}

/** Here-document delimiters a command line opens (`<<EOF`, `<<-'EOF'`, `<< "EOF"`), in order. */
function heredocs(line: string): { word: string; strip: boolean }[] {
  const out: { word: string; strip: boolean }[] = [];
  for (const m of line.matchAll(/<<(-?)\s*(['"]?)([\w.-]+)\2/g))
    out.push({ word: m[3]!, strip: m[1] === '-' });
  return out;
}

/** Parse a transcript. `rootPrompts`: `# ` is a prompt too. Text before the first prompt is ignored. */
export function parseTranscript(text: string, rootPrompts: boolean): TranscriptCommand[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const commands: TranscriptCommand[] = [];
  let i = 0;
  while (i < lines.length && promptOf(lines[i]!, rootPrompts) === undefined) i++;
  while (i < lines.length) {
    const prompt = promptOf(lines[i]!, rootPrompts)!;
    const line = i + 1;
    const cmd: string[] = [lines[i]!.slice(prompt.length)];
    const pending = heredocs(cmd[0]!);
    i++;
    // Continuations: a trailing backslash, or an open here-document.
    while (i < lines.length && (/\\$/.test(cmd[cmd.length - 1]!) || pending.length > 0)) {
      const raw = lines[i]!;
      const l = raw.startsWith('> ') ? raw.slice(2) : raw === '>' ? '' : raw;
      cmd.push(l);
      const doc = pending[0];
      if (doc !== undefined && (doc.strip ? l.replace(/^\t+/, '') : l) === doc.word) pending.shift();
      else if (doc === undefined) pending.push(...heredocs(l));
      i++;
    }
    const expected: string[] = [];
    while (i < lines.length && promptOf(lines[i]!, rootPrompts) === undefined) expected.push(lines[i++]!);
    while (expected.length > 0 && expected[expected.length - 1]!.trim() === '') expected.pop();
    let exitCode = 0;
    const last = expected[expected.length - 1];
    const exit = last !== undefined ? EXIT_LINE.exec(last) : null;
    if (exit !== null) {
      exitCode = Number(exit[1]);
      expected.pop();
    }
    const command = cmd.join('\n');
    if (command.trim() === '') continue;
    commands.push({ command, expected, exitCode, line });
  }
  return commands;
}
