/** Tuning knobs read from the environment (slow links, tests against a local emulator). */
import { UsageError } from '../errors/index.js';

/** A whole number of milliseconds from env[name], or undefined when unset. */
export function msFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`${name}=${v}: expected a whole number of milliseconds`);
  return n;
}
