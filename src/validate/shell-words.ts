/**
 * A light reading of a shell script for lint: its simple commands as words, with quoting, comments and
 * here-document bodies understood (a here-document's `#include <stdio.h>` is data, not a placeholder). Not a
 * shell parser: expansions stay as written, and anything it cannot read is taken as plain words.
 */

export interface Word {
  /** The word with its quotes removed. */
  text: string;
  /** Some part of it was quoted. */
  quoted: boolean;
  /** The word, quotes and all, as written. */
  raw: string;
}

export interface ShellText {
  /** Simple commands, each a list of words (separators: newline ; & | && || ( ) and here-document ends). */
  commands: Word[][];
  /** The script without comments and here-document bodies, quoted text blanked: what the shell itself reads. */
  unquoted: string;
  /** Quoted strings, without their quotes. */
  quoted: string[];
}

const SEPARATORS = new Set([';', '&', '|', '(', ')', '\n']);

export function readShell(script: string): ShellText {
  const commands: Word[][] = [];
  const quoted: string[] = [];
  let unquoted = '';
  let current: Word[] = [];
  let word: Word | undefined;
  const heredocs: string[] = [];
  const endWord = (): void => {
    if (word !== undefined) current.push(word);
    word = undefined;
  };
  const endCommand = (): void => {
    endWord();
    if (current.length > 0) commands.push(current);
    current = [];
  };
  const add = (text: string, raw: string, isQuoted: boolean): void => {
    word ??= { text: '', quoted: false, raw: '' };
    word.text += text;
    word.raw += raw;
    word.quoted ||= isQuoted;
  };
  let i = 0;
  const s = script;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\n' && heredocs.length > 0) {
      // Skip the bodies of the here-documents opened on this line.
      endCommand();
      unquoted += '\n';
      i++;
      while (heredocs.length > 0 && i <= s.length) {
        const eol = s.indexOf('\n', i);
        const line = s.slice(i, eol === -1 ? s.length : eol);
        if (line.replace(/^\t+/, '') === heredocs[0]) heredocs.shift();
        i = eol === -1 ? s.length + 1 : eol + 1;
      }
      continue;
    }
    if (c === '#' && word === undefined) {
      while (i < s.length && s[i] !== '\n') i++;
      continue;
    }
    if (c === '\\' && i + 1 < s.length) {
      if (s[i + 1] === '\n') i += 2;
      else {
        add(s[i + 1]!, s.slice(i, i + 2), true);
        unquoted += '  ';
        i += 2;
      }
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < s.length && s[j] !== c) {
        if (c === '"' && s[j] === '\\' && j + 1 < s.length) {
          text += s[j + 1];
          j += 2;
        } else text += s[j++];
      }
      add(text, s.slice(i, j + 1), true);
      quoted.push(text);
      unquoted += ' '.repeat(j + 1 - i);
      i = j + 1;
      continue;
    }
    if (c === '<' && s[i + 1] === '<' && s[i + 2] !== '<') {
      const m = /^<<-?\s*(['"]?)([\w.-]+)\1/.exec(s.slice(i));
      if (m !== null) {
        heredocs.push(m[2]!);
        endWord();
        unquoted += m[0];
        i += m[0].length;
        continue;
      }
    }
    if (c === '$' && (s[i + 1] === '{' || s[i + 1] === '(')) {
      // ${...} and $(...) stay inside the word, nesting counted.
      const open = s[i + 1]!;
      const close = open === '{' ? '}' : ')';
      let depth = 0;
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] === open) depth++;
        else if (s[j] === close && --depth === 0) break;
      }
      const part = s.slice(i, j + 1);
      add(part, part, false);
      unquoted += part;
      i = j + 1;
      continue;
    }
    unquoted += c;
    const redirect = c === '&' && (s[i - 1] === '>' || s[i - 1] === '<' || s[i + 1] === '>');
    if (SEPARATORS.has(c) && !redirect) {
      endCommand();
      i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
      continue;
    }
    add(c, c, false);
    i++;
  }
  endCommand();
  return { commands, unquoted, quoted };
}

/** Words that run another command after their own options: `sudo -E docker ...` is docker. */
const WRAPPERS = new Set([
  'sudo',
  'env',
  'time',
  'nohup',
  'exec',
  'command',
  'nice',
  'xargs',
  'timeout',
  'doas',
]);

/** The command a simple command runs (after assignments and wrappers) and its arguments. */
export function commandOf(words: readonly Word[]): { name: string; args: Word[] } | undefined {
  let k = 0;
  while (k < words.length) {
    const w = words[k]!.text;
    if (/^[A-Za-z_]\w*=/.test(w)) k++;
    else if (WRAPPERS.has(w)) {
      k++;
      while (k < words.length && (/^-/.test(words[k]!.text) || /^\d+[smhd]?$/.test(words[k]!.text))) k++;
    } else break;
  }
  const name = words[k];
  return name === undefined ? undefined : { name: name.text, args: words.slice(k + 1) };
}
