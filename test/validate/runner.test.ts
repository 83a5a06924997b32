import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '../../src/log/logger.js';
import { forwardIn } from '../../src/ssh/index.js';
import { buildResolver, stepEnv, type ArtifactSource } from '../../src/validate/artifacts.js';
import { startFileServer } from '../../src/validate/file-server.js';
import { runSteps } from '../../src/validate/runner.js';
import { parseSteps } from '../../src/validate/steps.js';
import { useSshdConnection } from '../support/ssh-connection.js';

const fence = '```';
const doc = (...blocks: string[]): string => blocks.join('\n');
const block = (script: string, note?: string, heading?: string): string =>
  [heading !== undefined ? `## ${heading}` : '', note ?? '', `${fence}bash`, script, fence, ''].join('\n');

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ ci: 'none', write: (l) => lines.push(l) }), lines };
}

describe('step runner over a real sshd', function () {
  this.timeout(60_000);
  const peer = useSshdConnection();

  const run = (md: string, extra: { env?: Record<string, string>; timeoutScale?: number } = {}) => {
    const { logger, lines } = capture();
    const steps = parseSteps(md, 'doc.md');
    return runSteps({
      conn: peer.conn,
      steps,
      target: 'box',
      logger,
      env: extra.env ?? {},
      defaultTimeoutSec: 30,
      ...(extra.timeoutScale !== undefined ? { timeoutScale: extra.timeoutScale } : {}),
    }).then((results) => ({ results, lines }));
  };

  it('streams each output line prefixed [target step N] and records passed steps', async () => {
    const { results, lines } = await run(
      doc(
        block('echo out-line; echo err-line >&2', undefined, 'One'),
        block('echo second', undefined, 'Two'),
      ),
    );
    expect(results.map((r) => r.status)).to.deep.equal(['passed', 'passed']);
    expect(lines).to.include('[box step 1] out-line');
    expect(lines).to.include('[box step 1] err-line');
    expect(lines).to.include('[box step 2] second');
    expect(results[0]!.outputTail).to.include.members(['out-line', 'err-line']);
    expect(results[0]!.exitCode).to.equal(0);
  });

  it('each step is a fresh bash with -e, -u and pipefail: a failing command in the middle fails the step', async () => {
    const { results } = await run(doc(block('false\necho not reached', undefined, 'E')));
    expect(results[0]!.status).to.equal('failed');
    expect(results[0]!.exitCode).to.equal(1);
    expect(results[0]!.outputTail).to.not.include('not reached');
    const u = await run(block('echo "$NOT_SET_ANYWHERE"'));
    expect(u.results[0]!.status).to.equal('failed');
    const p = await run(block('false | true'));
    expect(p.results[0]!.status).to.equal('failed');
  });

  it('the first failing step stops the run; later steps are reported as not run', async () => {
    const { results, lines } = await run(
      doc(
        block('echo a', undefined, 'A'),
        block('echo boom; exit 7', undefined, 'B'),
        block('echo c', undefined, 'C'),
      ),
    );
    expect(results.map((r) => r.status)).to.deep.equal(['passed', 'failed', 'not-run']);
    expect(results[1]!.exitCode).to.equal(7);
    expect(results[1]!.reason).to.equal('exit code 7');
    expect(results[1]!.outputTail).to.deep.equal(['boom']);
    expect(lines.some((l) => l.startsWith('[box step 3] ') && l.includes('echo c'))).to.equal(false);
  });

  it('a step that outlives its timeout is stopped and reported timed-out, and its processes are gone', async () => {
    const marker = `krel-timeout-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const { results } = await run(
      block(`echo started; exec -a ${marker} sleep 60`, '<!-- krel: timeout=2 -->'),
    );
    expect(results[0]!.status).to.equal('timed-out');
    expect(results[0]!.outputTail).to.deep.equal(['started']);
    expect(Date.now() - started).to.be.below(15_000);
    const check = await run(block(`! pgrep -f '[k]${marker.slice(1)}'`));
    expect(check.results[0]!.status, 'the timed-out process is still running').to.equal('passed');
  });

  it('timeouts are multiplied by the timeout scale', async () => {
    const { results } = await run(block('sleep 2', '<!-- krel: timeout=1 -->'), { timeoutScale: 4 });
    expect(results[0]!.status).to.equal('passed');
    expect(results[0]!.timeoutSec).to.equal(4);
  });

  it('expect: exit 0 without the expected text fails, naming what is missing; present text passes', async () => {
    const miss = await run(block('echo Hello Wor; echo ld', '<!-- krel: expect="Hello World" -->'));
    expect(miss.results[0]!.status).to.equal('failed');
    expect(miss.results[0]!.expectMissing).to.deep.equal(['Hello World']);
    const hit = await run(
      block('printf "Hello "; sleep 0.2; echo World >&1', '<!-- krel: expect="Hello World" -->'),
    );
    expect(hit.results[0]!.status).to.equal('passed');
  });

  it('skip: a skipped step does not run and does not stop the run', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'krel-skip-'));
    const { results } = await run(
      doc(
        block(`touch ${dir}/ran`, '<!-- krel: skip="not here" -->', 'S'),
        block('echo after', undefined, 'T'),
      ),
    );
    expect(results.map((r) => r.status)).to.deep.equal(['skipped', 'passed']);
    expect(results[0]!.reason).to.equal('not here');
    const check = await run(block(`test ! -e ${dir}/ran`));
    expect(check.results[0]!.status).to.equal('passed');
  });

  it('the step environment reaches the script, and release files come from the host through the reverse forward', async () => {
    const dist = mkdtempSync(path.join(os.tmpdir(), 'krel-dist-'));
    writeFileSync(path.join(dist, 'kontain.tar.gz'), 'tarball bytes\n');
    writeFileSync(path.join(dist, 'SHA256SUMS'), 'x  kontain.tar.gz\n');
    const script = path.join(dist, 'install.sh');
    writeFileSync(script, '#!/bin/sh\necho installer\n');
    const source: ArtifactSource = { kind: 'dist', dir: dist, repo: 'kontainapp/km', tag: 'v9.9-test' };
    const server = await startFileServer(buildResolver(source, { installScript: script }));
    const fwd = await forwardIn(peer.conn, server.port);
    try {
      const env = stepEnv(source, fwd.remotePort);
      expect(env.KONTAIN_RELEASE_URL).to.equal(
        `http://127.0.0.1:${fwd.remotePort}/kontainapp/km/releases/download`,
      );
      const { results, lines } = await run(
        block(
          [
            'echo "tag=$RELEASE_TAG"',
            'curl -fsS "$KONTAIN_RELEASE_URL/$RELEASE_TAG/kontain.tar.gz"',
            'curl -fsS "$KONTAIN_RELEASES_REPO_URL/default-release"',
            'curl -fsS "$KONTAIN_RELEASES_REPO_URL/kontain-install.sh" | sh',
          ].join('\n'),
        ),
        { env },
      );
      expect(results[0]!.status, lines.join('\n')).to.equal('passed');
      expect(results[0]!.outputTail).to.deep.equal([
        'tag=v9.9-test',
        'tarball bytes',
        'v9.9-test',
        'installer',
      ]);
    } finally {
      await fwd.close();
      await server.close();
    }
  });
});
