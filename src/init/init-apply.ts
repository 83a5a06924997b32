/**
 * `krel init`, apply: one switch over the plan's actions, each file written atomically (a temporary file beside
 * it, renamed into place). A failure part-way names what was written (exit 4).
 */
import { chmod, copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplyError, errorMessage } from '../errors/index.js';
import { replaceAtomic } from '../util/atomic-write.js';
import type { InitAction, InitPlan } from './init-plan.js';

async function writeMode(file: string, mode: number, fill: (tmp: string) => Promise<void>): Promise<void> {
  await replaceAtomic(file, async (tmp) => {
    await fill(tmp);
    await chmod(tmp, mode);
  });
}

async function applyAction(root: string, a: InitAction): Promise<void> {
  const file = path.join(root, a.path);
  switch (a.kind) {
    case 'write-config':
      return writeMode(file, 0o644, (tmp) =>
        writeFile(tmp, JSON.stringify(a.config, null, 2) + '\n', { flag: 'wx' }),
      );
    case 'copy-template':
      return writeMode(file, a.mode, (tmp) => copyFile(a.from, tmp));
    case 'write-workflow':
      return writeMode(file, 0o644, (tmp) => writeFile(tmp, a.text, { flag: 'wx' }));
  }
}

/** Writes every file of the plan, in order; returns the actions carried out. */
export async function applyInit(plan: InitPlan): Promise<InitAction[]> {
  const done: InitAction[] = [];
  for (const a of plan.actions) {
    try {
      await applyAction(plan.root, a);
    } catch (e) {
      throw new ApplyError(
        `could not write ${a.path} (${errorMessage(e)}); written: ${done.map((d) => d.path).join(', ') || 'nothing'}`,
        { cause: e },
      );
    }
    done.push(a);
  }
  return done;
}
