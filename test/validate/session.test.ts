import { expect } from 'chai';
import { Logger } from '../../src/log/logger.js';
import { exec } from '../../src/ssh/index.js';
import { applyOverrides } from '../../src/validate/overrides.js';
import { runSteps, type RunStepsOptions } from '../../src/validate/runner.js';
import { parseSteps } from '../../src/validate/steps.js';
import type { StepOverride } from '../../src/config/types.js';
import { useSshdConnection } from '../support/ssh-connection.js';

const fence = '```';
const bash = (script: string, note = ''): string => `${note}\n${fence}bash\n${script}\n${fence}\n`;

describe('one shell session per guide, over a real sshd', function () {
  this.timeout(60_000);
  const peer = useSshdConnection();

  const run = async (
    md: string,
    extra: Partial<RunStepsOptions> & { overrides?: StepOverride[] } = {},
  ): Promise<{ results: Awaited<ReturnType<typeof runSteps>>; lines: string[] }> => {
    const lines: string[] = [];
    let steps = parseSteps(md, 'doc.md');
    if (extra.overrides !== undefined) steps = applyOverrides(steps, extra.overrides).steps;
    const results = await runSteps({
      conn: peer.conn,
      steps,
      target: 'box',
      logger: new Logger({ ci: 'none', write: (l) => lines.push(l) }),
      env: {},
      defaultTimeoutSec: 30,
      ...extra,
    });
    return { results, lines };
  };

  /** Runs a command on the peer outside krel's steps and returns its stdout. */
  const probe = async (command: string): Promise<string> => {
    let out = '';
    await exec(peer.conn, command, { onStdout: (d) => (out += d.toString()) });
    return out;
  };

  it('variables, cd, exports and functions set in one block are there in the next, as in a terminal', async () => {
    const { results, lines } = await run(
      [
        bash(
          'dir=$(mktemp -d)\nfile=hello\ncd "$dir"\nexport GREETING=hi\ngreet() { echo "$GREETING $1"; }\nnums=(1 2 3)',
        ),
        bash('test "$PWD" = "$dir"\necho "$file" > "$file.txt"\ngreet there\necho "${#nums[@]}"'),
        bash('bash -c \'echo "child sees $GREETING"\'\ncat "$dir/$file.txt"\nrm -rf "$dir"'),
      ].join('\n'),
    );
    expect(
      results.map((r) => r.status),
      lines.join('\n'),
    ).to.deep.equal(['passed', 'passed', 'passed']);
    expect(results[1]!.outputTail).to.deep.equal(['hi there', '3']);
    expect(results[2]!.outputTail).to.deep.equal(['child sees hi', 'hello']);
  });

  it('a block that ends by exec leaves no state of its own: the next starts from the state before it', async () => {
    const { results, lines } = await run(
      [
        bash('kept=yes\ncd /tmp'),
        bash('lost=yes\nexec true'),
        bash('echo "${kept:-unset} ${lost:-unset} $PWD"'),
      ].join('\n'),
    );
    expect(
      results.map((r) => r.status),
      lines.join('\n'),
    ).to.deep.equal(['passed', 'passed', 'passed']);
    expect(results[2]!.outputTail).to.deep.equal(['yes unset /tmp']);
  });

  it('validate.session "isolated" gives each step a fresh bash: a variable of one block is unbound in the next', async () => {
    const { results } = await run([bash('v=1'), bash('echo "$v"')].join('\n'), { session: 'isolated' });
    expect(results.map((r) => r.status)).to.deep.equal(['passed', 'failed']);
    expect(results[1]!.outputTail.join('\n')).to.match(/unbound variable/);
  });

  it('an isolated step neither sees nor changes the session', async () => {
    const { results } = await run(
      [
        bash('v=shared'),
        bash('echo "${v:-none}"; v=changed', '<!-- krel: session=isolated -->'),
        bash('echo "$v"'),
      ].join('\n'),
    );
    expect(results.map((r) => r.outputTail)).to.deep.equal([[], ['none'], ['shared']]);
  });

  it('an override env is exported for its step only; the session keeps its own value', async () => {
    const { results } = await run(
      [bash('export MODE=session'), bash('echo "$MODE"'), bash('echo "$MODE"')].join('\n'),
      {
        overrides: [
          { at: 'validate.steps[0]', index: 2, env: { MODE: 'override' }, expect: [], replace: [] },
        ],
      },
    );
    expect(results.map((r) => r.outputTail)).to.deep.equal([[], ['override'], ['session']]);
  });

  it('a step that times out is killed with what it started, reported timed out, and the session goes on only when told to, from the state before it', async () => {
    const marker = `krel-session-${process.pid}-${Date.now()}`;
    const md = [
      bash('v=before'),
      bash(`v=during\nexec -a ${marker} sleep 60`, '<!-- krel: timeout=2 -->'),
      bash('echo "v=$v"'),
    ].join('\n');
    const stop = await run(md);
    expect(stop.results.map((r) => r.status)).to.deep.equal(['passed', 'timed-out', 'not-run']);
    expect(stop.results[1]!.reason).to.match(/no result within 2s/);
    const go = await run(md, {
      overrides: [{ at: 'validate.steps[0]', index: 2, continueOnError: true, expect: [], replace: [] }],
    });
    expect(go.results.map((r) => r.status)).to.deep.equal(['passed', 'timed-out', 'passed']);
    expect(go.results[2]!.outputTail).to.deep.equal(['v=before']);
    expect(await probe(`pgrep -f '[k]${marker.slice(1)}' || true`)).to.equal('');
  });

  it('the next run starts clean: no variable, no session directory and no process of the run before survive it', async () => {
    const marker = `krel-bg-${process.pid}-${Date.now()}`;
    const first = await run(
      [
        bash(`export LEFT=over\n(exec -a ${marker} sleep 300) &\necho started`),
        bash('sleep 60', '<!-- krel: timeout=2 -->'),
      ].join('\n'),
    );
    expect(first.results.map((r) => r.status)).to.deep.equal(['passed', 'timed-out']);
    expect(await probe(`pgrep -f '[k]${marker.slice(1)}' || true`), 'background process of the run').to.equal(
      '',
    );
    expect(await probe('ls -d "${TMPDIR:-/tmp}"/krel-session.* 2>/dev/null || true')).to.equal('');
    const next = await run(bash('echo "${LEFT:-unset}"'));
    expect(next.results[0]!.outputTail).to.deep.equal(['unset']);
  });

  it('the first step that runs makes the session directory, private to the user; skipped steps before it do not matter', async () => {
    const { results, lines } = await run(
      [
        bash('echo never', '<!-- krel: skip -->'),
        bash('stat -c %a "${TMPDIR:-/tmp}"/krel-session.*'),
        bash('ls "${TMPDIR:-/tmp}"/krel-session.*/ | sort'),
      ].join('\n'),
    );
    expect(
      results.map((r) => r.status),
      lines.join('\n'),
    ).to.deep.equal(['skipped', 'passed', 'passed']);
    expect(results[1]!.outputTail).to.deep.equal(['700']);
    // The state the second step left, and the process groups to kill at the end.
    expect(results[2]!.outputTail).to.deep.equal(['pgids', 'state.2']);
    expect(await probe('ls -d "${TMPDIR:-/tmp}"/krel-session.* 2>/dev/null || true')).to.equal('');
  });

  it('a target where the session directory cannot be made fails the first step with one line saying so', async () => {
    const { results, lines } = await run([bash('echo never'), bash('echo never either')].join('\n'), {
      env: { TMPDIR: '/nonexistent/krel-test' },
    });
    expect(results.map((r) => r.status)).to.deep.equal(['failed', 'not-run']);
    expect(lines.join('\n')).to.match(
      /krel: cannot make the session directory \/nonexistent\/krel-test\/krel-session\.[0-9a-f]+ on this target: check TMPDIR there/,
    );
    expect(lines.join('\n')).to.not.include('never');
  });

  it("line numbers in bash messages are the block's own", async () => {
    const { results } = await run(bash('true\ntrue\nno_such_command_here'));
    expect(results[0]!.status).to.equal('failed');
    expect(results[0]!.outputTail.join('\n')).to.match(/line 3: no_such_command_here: command not found/);
  });
});
