import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../src/errors/index.js';
import { parseSteps } from '../../src/validate/steps.js';
import { REPO_ROOT } from '../support/cli.js';

const fence = '```';

describe('steps from Markdown', () => {
  it('fenced sh, bash and shell blocks become ordered steps named after the nearest heading', () => {
    const md = [
      '# Guide',
      '## Install',
      `${fence}bash`,
      'echo one',
      fence,
      'Some text.',
      `${fence}sh`,
      'echo two',
      fence,
      '## Run',
      '- a list item:',
      '',
      `  ${fence}shell`,
      '  echo three',
      `  ${fence}`,
    ].join('\n');
    const steps = parseSteps(md, 'doc.md');
    expect(steps.map((s) => [s.index, s.name, s.script, s.line])).to.deep.equal([
      [1, 'Install', 'echo one', 3],
      [2, 'Install (2)', 'echo two', 7],
      [3, 'Run', 'echo three', 13],
    ]);
  });

  it('c, text and unlabelled blocks are numbered steps that do not run, each with the reason', () => {
    const md = ['# A', `${fence}c`, 'int x;', fence, fence, 'plain', fence, `${fence}text`, 'x', fence].join(
      '\n',
    );
    expect(parseSteps(md, 'doc.md').map((s) => [s.index, s.skip])).to.deep.equal([
      [1, 'a c block, not shell'],
      [2, 'a block without a language, not shell'],
      [3, 'a text block, not shell'],
    ]);
  });

  it('annotations set skip, timeout, expect and name, combined in one comment or several', () => {
    const md = [
      '# T',
      '<!-- krel: name="First" timeout=120 expect="Hello World" -->',
      '<!-- krel: expect="with \\"quotes\\"" -->',
      '',
      `${fence}bash`,
      'echo x',
      fence,
      '<!-- krel: skip="needs a GPU" -->',
      `${fence}bash`,
      'nvidia-smi',
      fence,
      '<!-- krel: skip -->',
      `${fence}bash`,
      'true',
      fence,
      '<!-- an ordinary comment -->',
      `${fence}bash`,
      'true',
      fence,
    ].join('\n');
    const [a, b, c, d] = parseSteps(md, 'doc.md');
    expect(a).to.include({ name: 'First', timeoutSec: 120 });
    expect(a!.expect).to.deep.equal(['Hello World', 'with "quotes"']);
    expect(a!.skip).to.equal(undefined);
    expect(b!.skip).to.equal('needs a GPU');
    expect(c!.skip).to.be.a('string');
    expect(d!.skip).to.equal(undefined);
    expect(d!.expect).to.deep.equal([]);
  });

  const refused: [string, string, RegExp][] = [
    ['an unknown key', '<!-- krel: retries=3 -->', /doc\.md:2: unknown krel annotation key "retries"/],
    [
      'a timeout that is not whole seconds',
      '<!-- krel: timeout=1.5 -->',
      /doc\.md:2: .*timeout needs whole seconds/,
    ],
    ['an empty expect', '<!-- krel: expect="" -->', /doc\.md:2: .*expect needs text/],
    ['an unterminated value', '<!-- krel: name="x -->', /doc\.md:2: cannot read krel annotation/],
  ];
  for (const [what, comment, re] of refused) {
    it(`${what} is a usage error naming file and line`, () => {
      const md = ['# T', comment, `${fence}bash`, 'true', fence].join('\n');
      expect(() => parseSteps(md, 'doc.md'))
        .to.throw(UsageError)
        .with.property('message')
        .that.matches(re);
    });
  }

  it('an annotation not followed by a fenced block is an error, not silently dropped', () => {
    const md = ['# T', '<!-- krel: skip -->', 'A paragraph.', `${fence}bash`, 'true', fence].join('\n');
    expect(() => parseSteps(md, 'doc.md')).to.throw(/doc\.md:2: krel annotation is not followed by a fenced/);
    expect(() => parseSteps('# T\n<!-- krel: skip -->\n', 'doc.md')).to.throw(/doc\.md:2/);
  });

  it('GettingStarted.md reads as a human guide: an install, a transcript of hello, a C file, sample output, variables', () => {
    const file = `${REPO_ROOT}km-releases/GettingStarted.md`;
    const steps = parseSteps(readFileSync(file, 'utf8'), file);
    expect(steps.map((s) => s.name)).to.include.members(['Install', 'Run your first KM program']);
    const hello = steps.find(
      (s) => s.kind === 'transcript' && s.script.includes('hello_test.km Hello World'),
    );
    expect(hello?.commands?.[0]?.expected).to.deep.equal(['Hello World']);
    expect(hello?.commands?.some((c) => c.expected.some((l) => l.includes('...')))).to.equal(true);
    expect(steps.find((s) => s.kind === 'file')?.writeTo).to.equal('hello.c');
    expect(steps.filter((s) => s.skip?.startsWith('sample output'))).to.have.length(1);
    expect(steps.some((s) => /^dir=\$\(mktemp -d\)$/m.test(s.script))).to.equal(true);
    expect(steps.some((s) => s.script.includes('-p python'))).to.equal(true);
  });
});
