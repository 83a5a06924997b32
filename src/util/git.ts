/** git, run the one way krel runs it. */
import { runProcess } from './child-process.js';

/** `git -C dir ...args`: its stdout, trimmed. Rejects when git fails or is not installed. */
export async function git(dir: string, args: readonly string[]): Promise<string> {
  const r = await runProcess('git', ['-C', dir, ...args], { captureStdout: true });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} in ${dir} failed (exit ${r.code ?? r.signal})`);
  return r.stdout.trim();
}
