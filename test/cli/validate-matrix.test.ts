import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ValidateEvent } from '../../src/validate/events.js';
import type { ValidationReport } from '../../src/validate/report.js';
import { targetSlots } from '../../src/validate/target-slots.js';
import { runKrel } from '../support/cli.js';
import { EXAMPLE_CONFIG, useHostTarget } from '../support/host-target.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { ensureCommands } from '../support/tools.js';

/**
 * The matrix machinery on cheap targets: three real sshd hosts validated at once, one of them broken by the
 * guide; per-target log files, the NDJSON event stream, the final table, --fail-fast, and merging the reports of
 * three separate runs (one per CI job).
 */
describe('krel validate on several targets at once (three real sshd hosts)', function () {
  this.timeout(240_000);
  const host = useHostTarget({ name: 'validate-matrix', make: true });
  const others: Sshd[] = [];
  let knownHosts = '';
  let guide = '';
  const targets = (): string[] => [
    host.target,
    ...others.map((s) => `${s.endpoint.username}@127.0.0.1:${s.port}`),
  ];
  const bad = (): Sshd => others[1]!;

  before(async () => {
    ensureCommands({ xmllint: 'libxml2-utils' });
    for (let i = 0; i < 2; i++) {
      const s = await startSshd();
      writeFileSync(path.join(s.dir, 'authorized_keys'), readFileSync(`${host.sshd.identityFile}.pub`));
      others.push(s);
    }
    knownHosts = path.join(host.work, 'known_hosts');
    writeFileSync(knownHosts, [host.sshd, ...others].map((s) => s.knownHostsLine).join('\n') + '\n');
    guide = path.join(host.work, 'Matrix.md');
    // The third target breaks in step 2; the others take a while there (what --fail-fast cuts short).
    writeFileSync(
      guide,
      [
        '# Matrix',
        '## Where',
        '```bash',
        'echo "on $SSH_CONNECTION"',
        '```',
        '## Work',
        '```bash',
        `case "$SSH_CONNECTION" in *" ${bad().port}") echo "broken here" >&2; exit 3;; esac`,
        'sleep 1',
        'echo "work done"',
        '```',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    for (const s of others) await s.stop();
  });

  const validate = (extra: string[], env: NodeJS.ProcessEnv = {}) =>
    runKrel(
      [
        'validate',
        '--config',
        EXAMPLE_CONFIG,
        '--dist',
        host.dist,
        '--doc',
        guide,
        ...targets().flatMap((t) => ['--host', t]),
        '--identity',
        host.sshd.identityFile,
        '--known-hosts',
        knownHosts,
        ...extra,
      ],
      { env, timeoutMs: 200_000 },
    );

  it('one broken target fails the run (exit 5) while the others finish; each has its log file and its events; the final table lists them', async () => {
    const logs = path.join(host.work, 'logs');
    // The events file's folder does not exist yet: it is created, as a fresh CI checkout expects.
    const events = path.join(host.work, 'reports/new/events.ndjson');
    const r = await validate([
      '--log-dir',
      logs,
      '--events',
      events,
      '--json',
      '--show-output',
      targets()[0]!,
    ]);
    expect(r.code, r.stderr).to.equal(5);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.targets.map((t) => [t.target, t.status])).to.deep.equal([
      [targets()[0], 'passed'],
      [targets()[1], 'passed'],
      [targets()[2], 'failed'],
    ]);
    // Each target's full log, its step output included even where --show-output hid it from stderr.
    for (const [i, t] of targets().entries()) {
      const file = report.targets[i]!.logFile!;
      expect(path.dirname(file)).to.equal(logs);
      const text = readFileSync(file, 'utf8');
      expect(text).to.include(`on 127.0.0.1`);
      expect(text, `${t}'s log holds only its own lines`).to.not.match(
        new RegExp(
          targets()
            .filter((o) => o !== t)
            .map((o) => o.replace(/\./g, '\\.'))
            .join('|'),
        ),
      );
    }
    expect(readFileSync(report.targets[2]!.logFile!, 'utf8')).to.include('broken here');
    expect(r.stderr, 'hidden on stderr').to.not.include(`${targets()[1]} step 1] on `);
    // The event stream: every line JSON, each target from start to end in order.
    const lines = readFileSync(events, 'utf8').trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as ValidateEvent & { time: string });
    expect(parsed.every((e) => !Number.isNaN(Date.parse(e.time)))).to.equal(true);
    for (const t of targets()) {
      const mine = parsed
        .filter((e) => e.target === t)
        .map((e) => `${e.event}${e.step ?? ''}${e.status !== undefined ? `:${e.status}` : ''}`);
      expect(mine[0]).to.equal('target-start');
      expect(mine).to.include('target-ready');
      expect(mine).to.include('step-start1');
      expect(mine).to.include('step-end1:passed');
      expect(mine[mine.length - 1]).to.match(/^target-end:(passed|failed)$/);
    }
    expect(
      parsed.find((e) => e.target === targets()[2] && e.event === 'step-end' && e.step === 2)?.status,
    ).to.equal('failed');
    // The final table: target, result, time, failed step, log.
    const table = r.stderr.slice(r.stderr.lastIndexOf('Targets:'));
    expect(table).to.match(/target +result +time +failed step +log/);
    expect(table).to.match(
      new RegExp(
        `${targets()[2]!.replace(/\./g, '\\.')} +FAILED +\\S+ +2 "Work" +${logs.replace(/\//g, '\\/')}`,
      ),
    );
    expect(table).to.match(new RegExp(`${targets()[0]!.replace(/\./g, '\\.')} +PASSED +\\S+ +- +`));
  });

  it('--fail-fast cancels the other targets once one fails: they are reported cancelled, not failed', async () => {
    const started = Date.now();
    const slow = path.join(host.work, 'Slow.md');
    writeFileSync(slow, readFileSync(guide, 'utf8').replace('sleep 1', 'sleep 60'));
    const r = await validate(['--fail-fast', '--json', '--doc', slow]);
    expect(r.code, r.stderr).to.equal(5);
    expect(Date.now() - started, 'cut short, not a 60 s sleep').to.be.below(55_000);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.targets.map((t) => t.status)).to.deep.equal(['cancelled', 'cancelled', 'failed']);
    const step2 = report.targets[0]!.steps.find((s) => s.index === 2);
    expect(step2?.status).to.equal('not-run');
    expect(step2?.reason).to.match(/cancelled: another target failed \(--fail-fast\)/);
    expect(r.stderr).to.match(/validation failed: 1 step\(s\) failed; first: \[.*\] step 2 "Work"/);
  });

  it('krel report merge joins the reports of three separate runs: one table, one JUnit file, exit 5 for the broken target', async () => {
    const files: string[] = [];
    for (const [i, t] of targets().entries()) {
      const file = path.join(host.work, `report-${i}.json`);
      const r = await runKrel([
        'validate',
        '--config',
        EXAMPLE_CONFIG,
        '--dist',
        host.dist,
        '--doc',
        guide,
        '--host',
        t,
        '--identity',
        host.sshd.identityFile,
        '--known-hosts',
        knownHosts,
        '--report',
        file,
      ]);
      expect(r.code, r.stderr).to.equal(i === 2 ? 5 : 0);
      files.push(file);
    }
    const junit = path.join(host.work, 'merged.xml');
    const summary = path.join(host.work, 'summary.md');
    const merged = await runKrel(['report', 'merge', ...files, '--junit', junit, '--json'], {
      env: { GITHUB_STEP_SUMMARY: summary, GITHUB_ACTIONS: 'true' },
    });
    expect(merged.code, merged.stderr).to.equal(5);
    const report = JSON.parse(merged.stdout) as ValidationReport;
    expect(report.targets.map((t) => t.target)).to.deep.equal(targets());
    expect(report.passed).to.equal(false);
    execFileSync('xmllint', ['--noout', junit]);
    const count = (xpath: string): number =>
      Number(execFileSync('xmllint', ['--xpath', `count(${xpath})`, junit], { encoding: 'utf8' }));
    expect(count('//testsuite')).to.equal(3);
    expect(count('//failure')).to.equal(1);
    expect(merged.stderr).to.match(/^::error file=.*Matrix\.md,line=7.*step 2 "Work" failed/m);
    expect(readFileSync(summary, 'utf8').match(/^#### /gm)).to.have.length(3);

    const twice = await runKrel(['report', 'merge', files[0]!, files[0]!]);
    expect(twice.code).to.equal(2);
    expect(twice.stderr.trim()).to.match(
      /^krel: target .* is in both .*report-0\.json and .*report-0\.json$/,
    );
    const notReport = path.join(host.work, 'not-a-report.json');
    writeFileSync(notReport, '{"hello": 1}\n');
    const bogus = await runKrel(['report', 'merge', files[0]!, notReport]);
    expect(bogus.code).to.equal(2);
    expect(bogus.stderr.trim()).to.match(/not a krel validate report/);
    for (const [input, why] of [
      [host.work, 'it is a folder'],
      [path.join(host.work, 'no-such.json'), 'no such file'],
    ] as const) {
      const r = await runKrel(['report', 'merge', files[0]!, input]);
      expect(r.code).to.equal(2);
      expect(r.stderr.trim()).to.equal(
        `krel: cannot read the report ${input}: ${why} (name the files krel validate --report wrote)`,
      );
    }
    expect(existsSync(path.join(host.work, 'merged-none.xml'))).to.equal(false);
  });

  it('a report under a file, an event file that is a folder and a log folder that is (or is under) a file are refused while planning (exit 2, one line)', async () => {
    const file = path.join(host.work, 'a-file');
    writeFileSync(file, "the user's\n");
    for (const [args, message] of [
      [
        ['--report', path.join(file, 'no/such/r.json')],
        /^krel: --report .*: .*a-file is a file, not a folder: name another file$/,
      ],
      [['--events', host.work], /^krel: --events .* is a folder: name a file$/],
      [['--log-dir', file], /^krel: --log-dir .*a-file: .*a-file is a file: name a folder/],
      [['--log-dir', path.join(file, 'logs')], /^krel: --log-dir .*logs: .*a-file is a file: name a folder/],
    ] as const) {
      const r = await validate([...args, '--dry-run']);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n').at(-1)).to.match(message);
    }
    expect(readFileSync(file, 'utf8')).to.equal("the user's\n");
  });

  it('VMs run as many at once as cores and free memory allow; hosts all at once; --concurrency sets both', () => {
    const gib = 1024 ** 3;
    expect(targetSlots({ vms: 3, hosts: 2 }, undefined, { cores: 2, freeBytes: 20 * gib })).to.deep.include({
      vms: 2,
      hosts: 2,
    });
    expect(targetSlots({ vms: 3, hosts: 0 }, undefined, { cores: 8, freeBytes: 3 * gib }).vms).to.equal(2);
    expect(targetSlots({ vms: 3, hosts: 0 }, undefined, { cores: 8, freeBytes: 1 * gib }).vms).to.equal(1);
    expect(targetSlots({ vms: 1, hosts: 0 }, undefined, { cores: 8, freeBytes: 64 * gib }).vms).to.equal(1);
    expect(targetSlots({ vms: 3, hosts: 3 }, 1)).to.deep.include({ vms: 1, hosts: 1 });
    expect(targetSlots({ vms: 3, hosts: 0 }, undefined, { cores: 2, freeBytes: 20 * gib }).reason).to.match(
      /2 cores and 20\.0 GiB free: up to 2 VM\(s\) at once/,
    );
  });
});
