/**
 * What a fenced block of a guide is, from its language and its text:
 * - `console`, `shell-session` (and kin): a transcript, prompts and output;
 * - `sh`, `bash`, `shell`: a script, or a transcript when its lines start with a `$ ` prompt, or sample output
 *   when its first line is not a command (`Hello World from ...`, `sysname = Linux`);
 * - anything else (c, go, json, no language): not shell, run only when an override or annotation says so.
 */
import { looksLikeTranscript } from './transcript.js';

const SHELL = new Set(['sh', 'bash', 'shell']);
const SESSION = new Set(['console', 'shell-session', 'shellsession', 'sh-session', 'terminal']);

export type BlockKind =
  { kind: 'script' } | { kind: 'transcript'; rootPrompts: boolean } | { kind: 'not-run'; why: string };

/** Words a first line may start with that are commands whatever their case or shape. */
const COMMAND_START = /^(?:[A-Za-z_]\w*=|[/~.$"'({![]|(?:if|for|while|until|case|function|do|then)\b)/;

/**
 * True when the first line (after blank lines and comments) reads as output rather than a command: its first
 * word starts with a capital letter or a digit, or is not a word a command can be, or the line is a
 * `key = value` / `key: value` pair. Documented as a heuristic; `run` (annotation or override) overrides it.
 */
export function looksLikeOutput(text: string): boolean {
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (first === undefined) return false;
  if (COMMAND_START.test(first)) return false;
  const [word = '', second = ''] = first.split(/\s+/);
  if (/^[A-Z0-9]/.test(word)) return true;
  if (!/^[a-z_][\w.+@%-]*$/.test(word)) return true;
  return second === '=' || second === ':' || /^[a-z_][\w-]*:$/.test(word);
}

const SHOWS = String.raw`prints?|printed|outputs?|see|shows?|displays?|results?|looks? like|returns?|responds?|produces?|gets?|answers?|says?`;
const DOES = String.raw`run|runs|type|execute|enter|install|use|try|call|invoke|compile|build|create|save|write|paste|copy`;
const INTRO_WORD = new RegExp(String.raw`\b(${SHOWS}|${DOES})\b`, 'gi');
const SHOWS_WORD = new RegExp(String.raw`^(?:${SHOWS})$`, 'i');

/**
 * True when the sentence that introduces a block announces output ("It prints something like this:", "You
 * should see:", "Run it and you get:"): it ends with a colon and, of the words that say what the reader does
 * (run, type, compile, ...) or sees (prints, output, see, ...), the last one is a seeing one.
 */
export function introducesOutput(intro: string | undefined): boolean {
  if (intro === undefined) return false;
  const sentence =
    intro
      .trim()
      .split(/(?<=[.!?])\s+/)
      .pop() ?? '';
  if (!sentence.endsWith(':')) return false;
  const words = [...sentence.matchAll(INTRO_WORD)].map((m) => m[1] ?? '');
  const last = words[words.length - 1];
  return last !== undefined && SHOWS_WORD.test(last);
}

/** What a block is; `intro` is the prose right before it (the paragraph that introduces it), if any. */
export function blockKind(lang: string, text: string, intro?: string): BlockKind {
  const l = lang.toLowerCase();
  if (SESSION.has(l)) {
    // `# ` is a root prompt only where no `$ ` prompt is (beside `$ ` prompts it is a comment).
    if (looksLikeTranscript(text)) return { kind: 'transcript', rootPrompts: false };
    return looksLikeTranscript(text, true)
      ? { kind: 'transcript', rootPrompts: true }
      : { kind: 'not-run', why: `a ${l} block without a prompt: sample output` };
  }
  if (SHELL.has(l)) {
    if (looksLikeTranscript(text)) return { kind: 'transcript', rootPrompts: false };
    if (looksLikeOutput(text))
      return { kind: 'not-run', why: 'sample output: its first line is not a command' };
    if (introducesOutput(intro)) {
      return { kind: 'not-run', why: 'sample output: the text before it announces output' };
    }
    if (text.trim() === '') return { kind: 'not-run', why: 'an empty block' };
    return { kind: 'script' };
  }
  return { kind: 'not-run', why: `${l === '' ? 'a block without a language' : `a ${l} block`}, not shell` };
}
