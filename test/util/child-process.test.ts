import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProcess } from '../../src/util/child-process.js';
import { git } from '../../src/util/git.js';

/** True while pid is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';
  } catch {
    return false;
  }
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await sleep(20);
  }
  return true;
}

/** A shell that starts a grandchild (sleep 60) and reports its pid on stdout, then waits for it. */
const WITH_GRANDCHILD = 'sleep 60 & echo $!; wait';

describe('util/child-process: runProcess and the process group', function () {
  this.timeout(20_000);

  it('streams stdout and stderr line by line, captures stdout on request and reports the exit code', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await runProcess('sh', ['-c', 'echo one; echo two >&2; echo three; exit 3'], {
      onStdout: (l) => out.push(l),
      onStderr: (l) => err.push(l),
      captureStdout: true,
    });
    expect(out).to.deep.equal(['one', 'three']);
    expect(err).to.deep.equal(['two']);
    expect(r).to.deep.include({ code: 3, stdout: 'one\nthree\n', timedOut: false, aborted: false });
  });

  it('a timeout kills the whole process group, grandchildren included', async () => {
    let grandchild = 0;
    const started = Date.now();
    const r = await runProcess('sh', ['-c', WITH_GRANDCHILD], {
      timeoutMs: 300,
      onStdout: (l) => (grandchild = Number(l)),
    });
    expect(r.timedOut).to.equal(true);
    expect(r.signal).to.equal('SIGTERM');
    expect(Date.now() - started).to.be.below(5000);
    expect(grandchild).to.be.above(0);
    expect(await goneWithin(grandchild, 2000)).to.equal(true);
  });

  it('an abort kills the whole process group, grandchildren included', async () => {
    const ac = new AbortController();
    let grandchild = 0;
    const r = await runProcess('sh', ['-c', WITH_GRANDCHILD], {
      signal: ac.signal,
      onStdout: (l) => {
        grandchild = Number(l);
        ac.abort(new Error('user interrupt'));
      },
    });
    expect(r.aborted).to.equal(true);
    expect(grandchild).to.be.above(0);
    expect(await goneWithin(grandchild, 2000)).to.equal(true);
  });

  it('a group that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    let grandchild = 0;
    const started = Date.now();
    const r = await runProcess('sh', ['-c', `trap "" TERM; ${WITH_GRANDCHILD}`], {
      timeoutMs: 200,
      graceMs: 500,
      onStdout: (l) => (grandchild = Number(l)),
    });
    expect(r.signal).to.equal('SIGKILL');
    expect(Date.now() - started).to.be.within(600, 5000);
    expect(await goneWithin(grandchild, 2000)).to.equal(true);
  });

  it('an already aborted signal starts nothing', async () => {
    const r = await runProcess('sh', ['-c', 'exit 0'], { signal: AbortSignal.abort() });
    expect(r).to.deep.include({ aborted: true, code: null });
  });

  it('a command that is not installed rejects with ENOENT', async () => {
    const err = await runProcess('krel-no-such-command', []).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });

  it('git(dir, args) gives trimmed stdout and rejects outside a repository', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'krel-git-'));
    try {
      await git(dir, ['init', '-q']);
      expect(await git(dir, ['rev-parse', '--is-inside-work-tree'])).to.equal('true');
      const err = await git(path.join(dir, 'missing'), ['rev-parse', 'HEAD']).catch((e: unknown) => e);
      expect((err as Error).message).to.match(/^git rev-parse HEAD in .* failed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
