/**
 * A Markdown guide -> ordered steps: every fenced block is a step, numbered in document order and named after
 * its nearest heading. Shell blocks run as scripts, transcripts run their prompt lines and compare the output,
 * other blocks are reported and not run unless told (block-kind.ts); the krel annotations written right before
 * a block tune it (annotations.ts), and krel.json's validate.steps overrides it (overrides.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Code, Html, Nodes, Parent, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { UsageError } from '../errors/index.js';
import { isAnnotation, parseAnnotation, type StepAnnotations } from './annotations.js';
import { blockKind } from './block-kind.js';
import { parseTranscript, type TranscriptCommand } from './transcript.js';

export type StepKind = 'script' | 'transcript' | 'file';

export interface Step {
  /** 1-based position among the document's fenced blocks. */
  index: number;
  name: string;
  /** Document path as given, and the block's first line, for messages and annotations. */
  file: string;
  line: number;
  /** The fence's language, lower-case ('' without one). */
  lang: string;
  /** The block as written. */
  text: string;
  /** The paragraph right before the block, which introduces it ("It prints:"), if any. */
  intro?: string;
  kind: StepKind;
  /** What runs: the script, a transcript's commands one per line, or a file's content. */
  script: string;
  /** A transcript's commands with their expected output. */
  commands?: TranscriptCommand[];
  /** kind 'file': the block is written to this path (relative to the session's directory). */
  writeTo?: string;
  /** kind 'file': shell commands run before the file is written (krel.json "before"). */
  before?: string;
  /** Why the step is skipped, when it is. */
  skip?: string;
  /** The skip comes from what the block is (not shell, sample output), so `run` lifts it. */
  skipIsKind?: boolean;
  timeoutSec?: number;
  expect: string[];
  /** Exported for this step only. */
  env?: Record<string, string>;
  /** Runs in a fresh bash, outside the guide's shell session. */
  isolated?: boolean;
  /** A failure or timeout is reported and the run goes on. */
  continueOnError?: boolean;
  /** What krel.json changed, one line each, for the plan. */
  overrides: string[];
}

function textOf(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string') return node.value;
  if ('children' in node) return (node.children as Nodes[]).map(textOf).join('');
  return '';
}

/** The language word of a fence's info string (```bash title="x" -> bash). */
function fenceLanguage(node: Code): string {
  return (node.lang ?? '').trim().toLowerCase();
}

/** Shape a block's step from its text, language and how it is to run (also used after overrides). */
export function shapeStep(step: Step, how: { run?: boolean; writeTo?: string } = {}): Step {
  const shaped: Step = { ...step };
  delete shaped.commands;
  delete shaped.writeTo;
  if (shaped.skipIsKind === true) {
    delete shaped.skip;
    delete shaped.skipIsKind;
  }
  if (how.writeTo !== undefined) {
    return { ...shaped, kind: 'file', script: step.text, writeTo: how.writeTo };
  }
  const k = blockKind(step.lang, step.text, step.intro);
  if (k.kind === 'transcript') {
    const commands = parseTranscript(step.text, k.rootPrompts);
    return { ...shaped, kind: 'transcript', commands, script: commands.map((c) => c.command).join('\n') };
  }
  if (k.kind === 'not-run' && how.run !== true) {
    const kindSkip = shaped.skip === undefined ? { skip: k.why, skipIsKind: true } : {};
    return { ...shaped, kind: 'script', script: step.text, ...kindSkip };
  }
  return { ...shaped, kind: 'script', script: step.text };
}

/** A command written inline in the prose (`wget ... | bash`): krel never runs it, lint says so. */
export interface ProseCommand {
  line: number;
  code: string;
}

/** An inline code span that reads as a command fetching something (an install one-liner). */
const PROSE_COMMAND = /^(?:sudo\s+)?(?:curl|wget|bash|sh)\b.*https?:\/\//;

export interface Guide {
  steps: Step[];
  prose: ProseCommand[];
}

export function parseSteps(markdown: string, file: string): Step[] {
  return parseGuide(markdown, file).steps;
}

export function parseGuide(markdown: string, file: string): Guide {
  const tree: Root = fromMarkdown(markdown);
  const steps: Step[] = [];
  const prose: ProseCommand[] = [];
  const perHeading = new Map<string, number>();
  let heading = path.basename(file);

  const at = (node: Nodes): string => `${file}:${node.position?.start.line ?? 0}`;
  const dangling = (node: Html): UsageError =>
    new UsageError(
      `${at(node)}: krel annotation is not followed by a fenced block (put it right before the block it tunes)`,
    );

  function visit(parent: Parent): void {
    let pending: { notes: StepAnnotations; node: Html } | undefined;
    let intro: string | undefined;
    for (const node of parent.children as Nodes[]) {
      const introduces = intro;
      // The paragraph right before a block (annotations between them do not count) introduces it.
      if (!(node.type === 'html' && isAnnotation(node.value))) {
        intro = node.type === 'paragraph' ? textOf(node) : undefined;
      }
      if (node.type === 'html' && isAnnotation(node.value)) {
        pending ??= { notes: { expect: [] }, node };
        parseAnnotation(node.value, at(node), pending.notes);
        continue;
      }
      if (pending !== undefined && node.type !== 'code') throw dangling(pending.node);
      if (node.type === 'heading') {
        heading = textOf(node).trim() || heading;
      } else if (node.type === 'code') {
        const notes = pending?.notes ?? { expect: [] };
        pending = undefined;
        const n = (perHeading.get(heading) ?? 0) + 1;
        perHeading.set(heading, n);
        const base: Step = {
          index: steps.length + 1,
          name: notes.name ?? (n === 1 ? heading : `${heading} (${n})`),
          file,
          line: node.position?.start.line ?? 0,
          lang: fenceLanguage(node),
          text: node.value,
          kind: 'script',
          script: node.value,
          expect: notes.expect,
          overrides: [],
          ...(introduces !== undefined ? { intro: introduces } : {}),
        };
        if (notes.skip !== undefined) base.skip = notes.skip;
        if (notes.timeoutSec !== undefined) base.timeoutSec = notes.timeoutSec;
        if (notes.isolated !== undefined) base.isolated = notes.isolated;
        steps.push(
          shapeStep(base, {
            ...(notes.run !== undefined ? { run: notes.run } : {}),
            ...(notes.file !== undefined ? { writeTo: notes.file } : {}),
          }),
        );
      } else if (node.type === 'inlineCode') {
        if (PROSE_COMMAND.test(node.value.trim())) {
          prose.push({ line: node.position?.start.line ?? 0, code: node.value.trim() });
        }
      } else if ('children' in node) {
        visit(node);
      }
    }
    if (pending !== undefined) throw dangling(pending.node);
  }

  visit(tree);
  return { steps, prose };
}

export async function loadGuide(file: string, displayName = file): Promise<Guide> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the steps document ${displayName}: ${(e as Error).message}`);
  }
  const guide = parseGuide(text, displayName);
  if (guide.steps.length === 0) {
    throw new UsageError(`${displayName}: no fenced blocks, so nothing to validate`);
  }
  return guide;
}
