/**
 * What a command handler works with: its global flags, a logger, stdout for machine output, and the release
 * context built once from them (src/context/build.ts).
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { ReleaseContext } from '../context/release-context.js';
import type { KrelConfig } from '../config/types.js';
import { Logger } from '../log/logger.js';
import { redact, registerEnvSecrets } from '../log/redact.js';
import { abortController } from './signals.js';
import { TOOL_VERSION } from './version.js';

export interface GlobalOptions {
  json: boolean;
  dryRun: boolean;
  verbose: boolean;
  config?: string;
}

export interface CommandIo {
  globals: GlobalOptions;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Write machine output (JSON, URLs) to stdout, redacted. */
  print(text: string): void;
  printJson(value: unknown): void;
  /** A path from the command line, made absolute against the working directory. */
  resolve(p: string): string;
}

export function commandIo(
  cmd: Command,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): CommandIo {
  const o = cmd.optsWithGlobals<Partial<GlobalOptions>>();
  const globals: GlobalOptions = {
    json: o.json ?? false,
    dryRun: o.dryRun ?? false,
    verbose: o.verbose ?? false,
    ...(o.config !== undefined ? { config: o.config } : {}),
  };
  registerEnvSecrets(env);
  return {
    globals,
    logger: new Logger({ verbose: globals.verbose }),
    env,
    cwd,
    print: (text) => void process.stdout.write(redact(text.endsWith('\n') ? text : text + '\n')),
    printJson: (value) => void process.stdout.write(redact(JSON.stringify(value, null, 2)) + '\n'),
    resolve: (p) => path.resolve(cwd, p),
  };
}

/** krel.json alone (--config > KREL_CONFIG > ./krel.json), for commands that need no release facts. */
export async function readConfig(io: CommandIo): Promise<KrelConfig> {
  // Loaded on first use: the definitions of every command import this file at start-up.
  const { loadContextConfig } = await import('../context/build.js');
  return loadContextConfig({
    env: io.env,
    cwd: io.cwd,
    ...(io.globals.config !== undefined ? { configFile: io.globals.config } : {}),
  });
}

/** The release context of this command: the one place flags and environment become release facts. */
export async function releaseContext(
  io: CommandIo,
  over: { store?: string | undefined; commit?: string | undefined } = {},
): Promise<ReleaseContext> {
  const { buildReleaseContext } = await import('../context/build.js');
  return buildReleaseContext({
    env: io.env,
    cwd: io.cwd,
    logger: io.logger,
    signal: abortController.signal,
    options: { dryRun: io.globals.dryRun, json: io.globals.json, verbose: io.globals.verbose },
    toolVersion: TOOL_VERSION,
    ...(io.globals.config !== undefined ? { configFile: io.globals.config } : {}),
    ...(over.store !== undefined ? { store: over.store } : {}),
    ...(over.commit !== undefined ? { commit: over.commit } : {}),
  });
}
