/**
 * A reader that goes away (`krel validate --help | head -5`): krel stops writing and exits quietly with 141
 * (128 + SIGPIPE, what a shell reports for a GNU tool killed by SIGPIPE), never an unhandled EPIPE with a stack trace.
 */
import { expect } from 'chai';
import { before } from 'mocha';
import { execFileSync, spawn } from 'node:child_process';
import { KREL_BIN, REPO_ROOT, baseEnv } from '../support/cli.js';

interface Closed {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What arrived on the stream left open. */
  other: string;
}

/**
 * The built CLI with one of its output pipes closed by the reader before krel writes a byte (node takes far longer
 * to start than the close takes), so the first write fails with EPIPE every time, not only when a race is lost.
 */
function runWithClosedReader(args: string[], closed: 'stdout' | 'stderr'): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KREL_BIN, ...args], {
      cwd: REPO_ROOT,
      env: baseEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child[closed].destroy();
    let other = '';
    child[closed === 'stdout' ? 'stderr' : 'stdout']
      .setEncoding('utf8')
      .on('data', (d: string) => (other += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, other });
    });
  });
}

describe('krel CLI: a reader that goes away', () => {
  before(function () {
    this.timeout(120_000);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
  });

  it('validate --help into a closed stdout: nothing on stderr, exit 141', async () => {
    const r = await runWithClosedReader(['validate', '--help'], 'stdout');
    expect(r.other).to.not.match(/EPIPE|Unhandled|\n\s+at /);
    expect(r.other).to.equal('');
    expect(r.signal).to.equal(null);
    expect(r.code).to.equal(141);
  });

  it('--version into a closed stdout: nothing on stderr, exit 141', async () => {
    const r = await runWithClosedReader(['--version'], 'stdout');
    expect(r.other).to.equal('');
    expect(r.code).to.equal(141);
  });

  it('a usage error into a closed stderr: nothing on stdout, exit 141 (not the crash of an unhandled EPIPE)', async () => {
    const r = await runWithClosedReader(['validate', '--no-such-flag'], 'stderr');
    expect(r.other).to.equal('');
    expect(r.signal).to.equal(null);
    expect(r.code).to.equal(141);
  });
});
