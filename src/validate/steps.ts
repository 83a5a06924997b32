/**
 * A Markdown document -> ordered steps: every fenced sh/bash/shell block, named after its nearest heading,
 * tuned by the krel annotations written right before it (see annotations.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Code, Html, Nodes, Parent, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { UsageError } from '../errors/index.js';
import { isAnnotation, parseAnnotation, type StepAnnotations } from './annotations.js';

/** Fence languages that become steps. `console` blocks (prompts mixed with output) never run. */
const STEP_LANGUAGES = ['sh', 'bash', 'shell'] as const;

export interface Step {
  /** 1-based position among the document's steps. */
  index: number;
  name: string;
  script: string;
  /** Document path as given, and the block's first line, for messages and annotations. */
  file: string;
  line: number;
  /** Why the step is skipped, when it is. */
  skip?: string;
  timeoutSec?: number;
  expect: string[];
}

function textOf(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string') return node.value;
  if ('children' in node) return (node.children as Nodes[]).map(textOf).join('');
  return '';
}

function isStepBlock(node: Nodes): node is Code {
  return (
    node.type === 'code' && (STEP_LANGUAGES as readonly string[]).includes((node.lang ?? '').toLowerCase())
  );
}

export function parseSteps(markdown: string, file: string): Step[] {
  const tree: Root = fromMarkdown(markdown);
  const steps: Step[] = [];
  const perHeading = new Map<string, number>();
  let heading = path.basename(file);

  const at = (node: Nodes): string => `${file}:${node.position?.start.line ?? 0}`;

  function visit(parent: Parent): void {
    let pending: { notes: StepAnnotations; node: Html } | undefined;
    for (const node of parent.children as Nodes[]) {
      if (node.type === 'html' && isAnnotation(node.value)) {
        pending ??= { notes: { expect: [] }, node };
        parseAnnotation(node.value, at(node), pending.notes);
        continue;
      }
      if (pending !== undefined && !isStepBlock(node)) {
        throw new UsageError(
          `${at(pending.node)}: krel annotation is not followed by a fenced sh/bash/shell block ` +
            `(put it right before the block it tunes)`,
        );
      }
      if (node.type === 'heading') {
        heading = textOf(node).trim() || heading;
      } else if (isStepBlock(node)) {
        const notes = pending?.notes ?? { expect: [] };
        pending = undefined;
        const n = (perHeading.get(heading) ?? 0) + 1;
        perHeading.set(heading, n);
        const step: Step = {
          index: steps.length + 1,
          name: notes.name ?? (n === 1 ? heading : `${heading} (${n})`),
          script: node.value,
          file,
          line: node.position?.start.line ?? 0,
          expect: notes.expect,
        };
        if (notes.skip !== undefined) step.skip = notes.skip;
        if (notes.timeoutSec !== undefined) step.timeoutSec = notes.timeoutSec;
        steps.push(step);
      } else if ('children' in node) {
        visit(node);
      }
    }
    if (pending !== undefined) {
      throw new UsageError(
        `${at(pending.node)}: krel annotation is not followed by a fenced sh/bash/shell block ` +
          `(put it right before the block it tunes)`,
      );
    }
  }

  visit(tree);
  return steps;
}

export async function loadSteps(file: string, displayName = file): Promise<Step[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the steps document ${displayName}: ${(e as Error).message}`);
  }
  const steps = parseSteps(text, displayName);
  if (steps.length === 0) {
    throw new UsageError(`${displayName}: no fenced sh/bash/shell blocks, so nothing to validate`);
  }
  return steps;
}
