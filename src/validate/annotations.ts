/**
 * The annotation language: an HTML comment right before a fenced block tunes that step.
 *
 *   <!-- krel: skip -->                     do not run this block (skip="why" gives a reason)
 *   <!-- krel: timeout=120 -->              seconds before the step is stopped (scaled on slow targets)
 *   <!-- krel: expect="Hello World" -->     the output must contain this text (repeatable)
 *   <!-- krel: name="Install" -->           the step's name in logs and reports
 *   <!-- krel: run -->                      run a block of another language (or sample output) as shell
 *   <!-- krel: file="hello.c" -->           write the block to this file (relative to the session's directory)
 *   <!-- krel: session=isolated -->         run this step in a fresh bash, outside the guide's shell session
 *
 * Items combine in one comment or over several comments: <!-- krel: name="Hello" expect="Hello World" -->.
 * Documented for doc writers in validate/README.md.
 */
import { UsageError } from '../errors/index.js';

export interface StepAnnotations {
  skip?: string;
  timeoutSec?: number;
  expect: string[];
  name?: string;
  run?: boolean;
  file?: string;
  isolated?: boolean;
}

const ANNOTATION_KEYS = ['skip', 'timeout', 'expect', 'name', 'run', 'file', 'session'] as const;

const COMMENT = /^<!--\s*krel:([\s\S]*?)-->\s*$/;

/** True when an HTML node is a krel annotation comment (other comments are left alone). */
export function isAnnotation(html: string): boolean {
  return /^<!--\s*krel:/.test(html.trim());
}

/** key, key=word or key="text with \" and \\ escapes" */
const ITEM = /\s*([A-Za-z][\w-]*)(?:=(?:"((?:[^"\\]|\\.)*)"|([^\s"]+)))?(?=\s|$)/y;

export function parseAnnotation(html: string, where: string, into: StepAnnotations): void {
  const m = COMMENT.exec(html.trim());
  if (m === null)
    throw new UsageError(`${where}: a krel annotation must be one comment: <!-- krel: key=value -->`);
  const body = (m[1] ?? '').trim();
  if (body === '')
    throw new UsageError(`${where}: empty krel annotation (keys: ${ANNOTATION_KEYS.join(', ')})`);
  ITEM.lastIndex = 0;
  while (ITEM.lastIndex < body.length) {
    const start = ITEM.lastIndex;
    const item = ITEM.exec(body);
    if (item === null) {
      throw new UsageError(
        `${where}: cannot read krel annotation at "${body.slice(start).trim()}" (write key=value or key="text")`,
      );
    }
    const key = item[1] ?? '';
    const quoted = item[2];
    const value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : item[3];
    apply(key, value, where, into);
  }
}

function apply(key: string, value: string | undefined, where: string, into: StepAnnotations): void {
  switch (key) {
    case 'skip':
      into.skip = value ?? 'marked skip in the document';
      return;
    case 'timeout': {
      if (value === undefined || !/^[1-9]\d*$/.test(value)) {
        throw new UsageError(`${where}: krel annotation timeout needs whole seconds, e.g. timeout=120`);
      }
      into.timeoutSec = Number(value);
      return;
    }
    case 'expect':
      if (value === undefined || value === '') {
        throw new UsageError(`${where}: krel annotation expect needs text, e.g. expect="Hello World"`);
      }
      into.expect.push(value);
      return;
    case 'name':
      if (value === undefined || value.trim() === '') {
        throw new UsageError(`${where}: krel annotation name needs text, e.g. name="Install"`);
      }
      into.name = value.trim();
      return;
    case 'run':
      if (value !== undefined && value !== 'true') {
        throw new UsageError(`${where}: krel annotation run takes no value (write <!-- krel: run -->)`);
      }
      into.run = true;
      return;
    case 'file':
      if (value === undefined || value.trim() === '') {
        throw new UsageError(`${where}: krel annotation file needs a file name, e.g. file="hello.c"`);
      }
      into.file = value;
      return;
    case 'session':
      if (value !== 'isolated' && value !== 'shared') {
        throw new UsageError(`${where}: krel annotation session is "isolated" or "shared"`);
      }
      into.isolated = value === 'isolated';
      return;
    default:
      throw new UsageError(
        `${where}: unknown krel annotation key "${key}" (known keys: ${ANNOTATION_KEYS.join(', ')})`,
      );
  }
}
