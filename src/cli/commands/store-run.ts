/** The release store a command works on: --store SPEC (relative to the working directory), else krel.json's. */
import type { KrelConfig } from '../../config/types.js';
import { createStore } from '../../store/index.js';
import type { ReleaseStore } from '../../store/types.js';
import type { CommandContext } from '../context.js';

export function openStore(ctx: CommandContext, config: KrelConfig, spec: string | undefined): ReleaseStore {
  return createStore(config, ctx.env, ctx.logger, {
    ...(spec !== undefined ? { store: spec } : {}),
    cwd: ctx.cwd,
  });
}
