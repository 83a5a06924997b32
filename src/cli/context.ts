/** What every command gets: its global options, a logger, the config, and stdout for machine output. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { KrelConfig } from '../config/types.js';
import { UsageError } from '../errors/index.js';
import { Logger } from '../log/logger.js';
import { redact, registerEnvSecrets } from '../log/redact.js';

export interface GlobalOptions {
  json: boolean;
  dryRun: boolean;
  verbose: boolean;
  config?: string;
}

export interface CommandContext {
  globals: GlobalOptions;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Write machine output (JSON, URLs) to stdout, redacted. */
  print(text: string): void;
  printJson(value: unknown): void;
  /** Load krel.json: --config, else $KREL_CONFIG, else ./krel.json. */
  config(): Promise<KrelConfig>;
}

function configPath(globals: GlobalOptions, env: NodeJS.ProcessEnv, cwd: string): string {
  const p = globals.config ?? env.KREL_CONFIG ?? 'krel.json';
  return path.resolve(cwd, p);
}

export function createContext(
  cmd: Command,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): CommandContext {
  const o = cmd.optsWithGlobals<Partial<GlobalOptions>>();
  const globals: GlobalOptions = {
    json: o.json ?? false,
    dryRun: o.dryRun ?? false,
    verbose: o.verbose ?? false,
    ...(o.config !== undefined ? { config: o.config } : {}),
  };
  registerEnvSecrets(env);
  const logger = new Logger({ verbose: globals.verbose });
  let cached: Promise<KrelConfig> | undefined;
  return {
    globals,
    logger,
    env,
    cwd,
    print: (text) => void process.stdout.write(redact(text.endsWith('\n') ? text : text + '\n')),
    printJson: (value) => void process.stdout.write(redact(JSON.stringify(value, null, 2)) + '\n'),
    config() {
      cached ??= (async () => {
        const file = configPath(globals, env, cwd);
        if (globals.config === undefined && env.KREL_CONFIG === undefined && !existsSync(file)) {
          throw new UsageError(`no krel.json in ${cwd}: create one or pass --config PATH`);
        }
        const { loadConfig } = await import('../config/load.js');
        return loadConfig(file);
      })();
      return cached;
    },
  };
}
