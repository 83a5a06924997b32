/** `krel init`: flags -> plan (printed on --dry-run) -> the files written. */
import { applyInit } from '../../init/init-apply.js';
import { planInit, type InitAction, type InitPlan } from '../../init/init-plan.js';
import type { CommandIo } from '../context.js';

export interface InitFlags {
  from?: string;
  repo?: string;
  docs?: boolean;
  azure?: boolean;
  force?: boolean;
}

const line = (a: InitAction): string =>
  `${a.kind.padEnd(14)} ${a.path}${a.replaces ? ' (replaces the existing file)' : ''}`;

function formatInitPlan(plan: InitPlan): string {
  return [
    `krel init: ${plan.actions.length} files in ${plan.root} (tree ${plan.tree})`,
    ...plan.actions.map((a) => `  ${line(a)}`),
    ...plan.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

export async function runInit(io: CommandIo, flags: InitFlags): Promise<void> {
  const plan = await planInit({
    root: io.cwd,
    configFile: io.resolve(io.globals.config ?? 'krel.json'),
    tree: io.resolve(flags.from ?? 'build'),
    ...(flags.repo !== undefined ? { repo: flags.repo } : {}),
    docs: flags.docs === true,
    azure: flags.azure === true,
    force: flags.force === true,
  });
  if (io.globals.dryRun) {
    if (io.globals.json) io.printJson(plan);
    else io.print(formatInitPlan(plan));
    return;
  }
  const done = await applyInit(plan);
  for (const a of done) io.logger.info(`wrote ${a.path}`);
  for (const n of plan.notes) io.logger.info(`note: ${n}`);
  io.logger.info('next: krel make, then krel validate --vm; commit the files and push a v* tag to release');
  if (io.globals.json)
    io.printJson({
      root: plan.root,
      tree: plan.tree,
      notes: plan.notes,
      done: done.map(({ kind, path, replaces }) => ({ kind, path, replaces })),
    });
}
