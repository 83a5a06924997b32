import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidationReport } from '../../src/validate/report.js';
import { formatSummary } from '../../src/validate/report-table.js';
import { toJunitXml } from '../../src/validate/report-junit.js';
import { toMarkdown } from '../../src/validate/report-markdown.js';
import { outcomeError } from '../../src/validate/validate.js';
import { ensureCommands } from '../support/tools.js';

const step = (
  index: number,
  status: 'passed' | 'failed' | 'skipped' | 'timed-out' | 'not-run',
  extra = {},
) => ({
  index,
  name: `Step <${index}> & "co"`,
  file: 'GettingStarted.md',
  line: index * 10,
  status,
  exitCode: status === 'passed' ? 0 : status === 'failed' ? 2 : null,
  durationMs: 1500,
  timeoutSec: 300,
  outputTail: status === 'failed' ? ['line one', 'bad <xml> & ]]> \u0007 bell', '| pipe ``` fence'] : [],
  ...extra,
});

const report: ValidationReport = {
  version: 1,
  doc: 'GettingStarted.md',
  source: 'local dist',
  tag: 'v0.1-test',
  passed: false,
  targets: [
    {
      target: 'debian-12',
      status: 'failed',
      details: { accelerator: 'tcg' },
      durationMs: 9000,
      steps: [
        step(1, 'passed'),
        step(2, 'failed', { reason: 'exit code 2' }),
        step(3, 'not-run', { reason: 'stopped' }),
      ],
    },
    {
      target: 'debian-11',
      status: 'passed',
      details: {},
      durationMs: 8000,
      steps: [step(1, 'passed'), step(2, 'skipped')],
    },
  ],
};

describe('validation reports', () => {
  it('JUnit XML is well-formed, one testsuite per target, one testcase per step, one failure with the output tail', () => {
    ensureCommands({ xmllint: 'libxml2-utils' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'krel-junit-'));
    const file = path.join(dir, 'junit.xml');
    const xml = toJunitXml(report);
    writeFileSync(file, xml);
    execFileSync('xmllint', ['--noout', file]); // throws on malformed XML
    const count = (xpath: string): number =>
      Number(execFileSync('xmllint', ['--xpath', `count(${xpath})`, file], { encoding: 'utf8' }));
    expect(count('/testsuites/testsuite')).to.equal(2);
    expect(count('//testsuite[@name="debian-12"]/testcase')).to.equal(3);
    expect(count('//testsuite[@name="debian-11"]/testcase')).to.equal(2);
    expect(count('//failure')).to.equal(1);
    expect(count('//skipped')).to.equal(2);
    const failure = execFileSync('xmllint', ['--xpath', 'string(//failure)', file], { encoding: 'utf8' });
    expect(failure).to.include('bad <xml> & ]]>  bell');
    expect(failure).to.include('line one');
  });

  it('the Markdown summary has a table per target and the failing output in a fence longer than any inside it', () => {
    const md = toMarkdown(report);
    expect(md).to.match(/### krel validate: ❌ failed/);
    expect(md).to.include('#### debian-12: failed');
    expect(md).to.include('| 2 | Step <2> & "co" | ❌ failed (exit code 2) |');
    expect(md).to.include('````text\nline one');
    expect(md).to.include('#### debian-11: passed');
  });

  it('the summary table lists every step with its result and the failing output', () => {
    const lines = formatSummary(report).join('\n');
    expect(lines).to.match(/debian-12: FAILED/);
    expect(lines).to.match(/2 {2}FAIL +Step <2>.*exit code 2/);
    expect(lines).to.include('    | line one');
  });

  it('a failed step makes exit 5; a refused host key alone makes 3; a broken target alone makes 4', () => {
    expect(outcomeError(report)?.constructor.name).to.equal('ValidationFailedError');
    const refused: ValidationReport = {
      ...report,
      targets: [
        {
          target: 'h',
          status: 'error',
          refused: true,
          error: 'host key',
          details: {},
          durationMs: 1,
          steps: [],
        },
      ],
    };
    expect(outcomeError(refused)?.constructor.name).to.equal('RefusedError');
    const broken: ValidationReport = {
      ...report,
      targets: [{ target: 'h', status: 'error', error: 'no ssh', details: {}, durationMs: 1, steps: [] }],
    };
    expect(outcomeError(broken)?.constructor.name).to.equal('ApplyError');
    expect(outcomeError({ ...report, passed: true, targets: [report.targets[1]!] })).to.equal(undefined);
  });
});
