import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { introducesOutput, looksLikeOutput } from '../../src/validate/block-kind.js';
import { OutputMatcher, outputDiff } from '../../src/validate/expected-output.js';
import { applyOverrides, unmatchedMessage } from '../../src/validate/overrides.js';
import { parseSteps } from '../../src/validate/steps.js';
import { parseTranscript } from '../../src/validate/transcript.js';
import type { StepOverride } from '../../src/config/types.js';

const fence = '```';

function matches(expected: string[], actual: string[]): boolean {
  const m = new OutputMatcher(expected);
  for (const l of actual) m.push(l);
  return m.matches();
}

const override = (o: Partial<StepOverride>): StepOverride => ({
  at: 'validate.steps[0]',
  expect: [],
  replace: [],
  ...o,
});

describe('guides as people write them', () => {
  describe('transcripts', () => {
    it('prompt lines are the commands, with continuations and here-documents; the lines after are the output', () => {
      const t = parseTranscript(
        [
          '$ echo one \\',
          '>   two',
          'one two',
          'user@box:~/src$ cat <<EOF',
          '> a',
          '> EOF',
          'a',
          '(venv) $ false',
          '[1]',
          '[root@box ~]# id -u',
          '0',
          '$',
        ].join('\n'),
        true,
      );
      expect(t.map((c) => [c.command, c.expected, c.exitCode, c.line])).to.deep.equal([
        ['echo one \\\n  two', ['one two'], 0, 1],
        ['cat <<EOF\na\nEOF', ['a'], 0, 4],
        ['false', [], 1, 8],
        ['id -u', ['0'], 0, 10],
      ]);
    });

    it('in a bash block only `$ ` is a prompt: `# ` lines are comments, so they are output of the command before', () => {
      const [c] = parseTranscript('$ echo hi\n# hi\n', false);
      expect(c?.expected).to.deep.equal(['# hi']);
    });

    it('in a console block `# ` is a root prompt only where no `$ ` prompt is; beside them it is not a command', () => {
      const steps = parseSteps(
        [
          '```console',
          '# id -u',
          '0',
          '```',
          '```console',
          '# show the version',
          '$ echo 1',
          '1',
          '```',
        ].join('\n'),
        'd.md',
      );
      expect(steps.map((s) => s.commands?.map((c) => c.command))).to.deep.equal([['id -u'], ['echo 1']]);
    });

    it('a console block and a bash block with `$ ` prompts are transcripts; a bash block without is a script', () => {
      const md = [
        `${fence}console`,
        '$ echo hi',
        'hi',
        fence,
        `${fence}bash`,
        '$ echo hi',
        'hi',
        fence,
        `${fence}bash`,
        'echo "$HOME"',
        fence,
      ].join('\n');
      expect(parseSteps(md, 'd.md').map((s) => s.kind)).to.deep.equal(['transcript', 'transcript', 'script']);
    });
  });

  describe('expected output', () => {
    it('compares line by line in order, trailing whitespace and colour ignored', () => {
      expect(matches(['a', 'b'], ['a  ', '\x1b[32mb\x1b[0m'])).to.equal(true);
      expect(matches(['a', 'b'], ['b', 'a'])).to.equal(false);
      expect(matches(['a'], ['a', 'b'])).to.equal(false);
      expect(matches(['a', 'b'], ['a'])).to.equal(false);
    });

    it('a `...` line matches any lines, none included; `...` in a line matches any text there', () => {
      expect(matches(['start', '...', 'end'], ['start', 'x', 'y', 'end'])).to.equal(true);
      expect(matches(['start', '...', 'end'], ['start', 'end'])).to.equal(true);
      expect(matches(['...'], [])).to.equal(true);
      expect(matches(['start', '...', 'end'], ['start', 'x'])).to.equal(false);
      expect(matches(['Python 3...'], ['Python 3.11.2'])).to.equal(true);
      expect(matches(['Python 3...'], ['Python 2.7'])).to.equal(false);
      expect(matches(['a.b'], ['axb']), 'a dot is a dot, not a pattern').to.equal(false);
    });

    it('blank lines at the end do not count, blank lines in the middle do', () => {
      expect(matches(['a', ''], ['a', '', ''])).to.equal(true);
      expect(matches(['a', 'b'], ['a', '', 'b'])).to.equal(false);
    });

    it('a mismatch is a unified diff that aligns `...` with the lines it stands for', () => {
      const diff = outputDiff(
        ['Hello', '...', 'sysname = kontain', 'done'],
        ['Hello', 'x', 'y', 'sysname = Linux', 'done'],
      );
      expect(diff.slice(0, 2)).to.deep.equal(['--- expected', '+++ actual']);
      expect(diff.filter((l) => /^[-+][^-+]/.test(l))).to.deep.equal([
        '-sysname = kontain',
        '+sysname = Linux',
      ]);
      expect(diff).to.include(' x');
    });

    it('the diff applies with GNU patch: expected plus the diff gives the actual output', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'krel-diff-'));
      writeFileSync(path.join(dir, 'expected'), 'one\ntwo\nthree\n');
      writeFileSync(
        path.join(dir, 'patch'),
        `${outputDiff(['one', 'two', 'three'], ['one', '2', 'three', 'four']).join('\n')}\n`,
      );
      execFileSync('patch', ['-s', path.join(dir, 'expected'), path.join(dir, 'patch')]);
      expect(execFileSync('cat', [path.join(dir, 'expected')], { encoding: 'utf8' })).to.equal(
        'one\n2\nthree\nfour\n',
      );
    });
  });

  describe('sample output', () => {
    it('a shell block whose first line is not a command is sample output, reported and not run', () => {
      for (const out of [
        'Hello World from the following runtime environment:',
        'sysname         = Linux',
        '2 files',
        'Python 3.11.2',
        'km: version 1',
      ]) {
        expect(looksLikeOutput(out), out).to.equal(true);
      }
      for (const cmd of [
        'ls -l',
        'dir=$(mktemp -d)',
        '/opt/kontain/bin/km x',
        './run.sh',
        'false | true',
        'cd "$dir"',
        '# note\necho hi',
        'sudo tee f',
      ]) {
        expect(looksLikeOutput(cmd), cmd).to.equal(false);
      }
      const [s] = parseSteps(`${fence}sh\nHello World\nsysname = Linux\n${fence}\n`, 'd.md');
      expect(s?.skip).to.equal('sample output: its first line is not a command');
    });
  });

  describe('sample output announced by the text before it', () => {
    it('a colon sentence whose last doing-or-seeing word is a seeing one announces output', () => {
      for (const yes of [
        'It prints something like this:',
        'You should see:',
        'Run it and you get:',
        'The result:',
        '`$dir/$file` will run the result as a regular binary and print out something like this:',
      ]) {
        expect(introducesOutput(yes), yes).to.equal(true);
      }
      for (const no of [
        'To print the version, run:',
        'Run it as a unikernel:',
        'Compile and run it:',
        'It prints the version.',
        'Make a playground directory; the commands below use `$dir`:',
        'The installer is still where you saved it:',
      ]) {
        expect(introducesOutput(no), no).to.equal(false);
      }
    });

    it('a shell block of lowercase output after "It prints:" is sample output; the same block after "Run:" runs', () => {
      const block = ['```bash', 'km 0.9.0 (sample build)', '```'].join('\n');
      const [shown] = parseSteps(`It prints:\n\n${block}\n`, 'd.md');
      expect(shown?.skip).to.equal('sample output: the text before it announces output');
      const [run] = parseSteps(`Run:\n\n${block}\n`, 'd.md');
      expect(run?.skip).to.equal(undefined);
    });
  });

  describe('overrides from krel.json', () => {
    const md = [
      '## Build',
      `${fence}C`,
      '#include <stdio.h>',
      'int main(void) { puts("hi"); return 0; }',
      fence,
      '## Install',
      `${fence}bash`,
      'curl -fsSL https://raw.githubusercontent.com/kontainapp/km-releases/master/kontain-install.sh | bash',
      fence,
      '## Run',
      `${fence}console`,
      '$ curl https://example.com/a',
      'ok',
      fence,
    ].join('\n');

    it('run: true runs a block of another language; file writes it to a file; each change is listed on the step', () => {
      const [c] = applyOverrides(parseSteps(md, 'd.md'), [
        override({ match: '#include', file: 'hello.c' }),
      ]).steps;
      expect(c?.kind).to.equal('file');
      expect(c?.writeTo).to.equal('hello.c');
      expect(c?.skip).to.equal(undefined);
      expect(c?.overrides).to.deep.equal([
        'validate.steps[0] (match /#include/): write the block to hello.c',
      ]);
      const [r] = applyOverrides(parseSteps(md, 'd.md'), [override({ index: 1, run: true })]).steps;
      expect([r?.kind, r?.skip]).to.deep.equal(['script', undefined]);
    });

    it("replace rewrites the commands (not a transcript's output), skip and expect and timeout apply by index or match", () => {
      const steps = applyOverrides(parseSteps(md, 'd.md'), [
        override({
          at: 'validate.steps[0]',
          match: 'kontain-install',
          replace: [
            [
              'https://raw\\.githubusercontent\\.com/kontainapp/km-releases/master',
              '$KONTAIN_RELEASES_REPO_URL',
            ],
          ],
        }),
        override({
          at: 'validate.steps[1]',
          match: '^Run$',
          replace: [['https://example\\.com', 'http://127.0.0.1:1']],
          timeoutSec: 9,
          expect: ['ok'],
        }),
        override({ at: 'validate.steps[2]', index: 1, skip: 'a C file' }),
      ]).steps;
      expect(steps[1]?.script).to.equal('curl -fsSL $KONTAIN_RELEASES_REPO_URL/kontain-install.sh | bash');
      expect(steps[2]?.commands?.[0]).to.deep.include({
        command: 'curl http://127.0.0.1:1/a',
        expected: ['ok'],
      });
      expect([steps[2]?.timeoutSec, steps[2]?.expect]).to.deep.equal([9, ['ok']]);
      expect(steps[0]?.skip).to.equal('a C file');
      expect(steps[2]?.overrides[0]).to.match(
        /^validate\.steps\[1\] \(match \/\^Run\$\/\): replace .*; expect "ok"; timeout 9s$/,
      );
    });

    it('an override that matches no block is reported, not silently ignored', () => {
      const o = override({ at: 'validate.steps[3]', index: 9 });
      expect(applyOverrides(parseSteps(md, 'd.md'), [o]).unmatched).to.deep.equal([o]);
      expect(unmatchedMessage(o, 'd.md')).to.match(
        /^krel\.json validate\.steps\[3\] \(index 9\) matches no block of d\.md/,
      );
    });
  });
});
