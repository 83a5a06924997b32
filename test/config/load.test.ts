import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { jsonPath, loadConfig } from '../../src/config/load.js';
import { ConfigError, UsageError } from '../../src/errors/index.js';

async function write(json: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'krel-config-'));
  const file = path.join(dir, 'krel.json');
  await writeFile(file, typeof json === 'string' ? json : JSON.stringify(json));
  return file;
}

describe('krel.json loading', () => {
  it('applies every default and resolves paths against the file', async () => {
    const file = await write({
      archives: [{ name: 'kontain.tar.gz', files: ['bin/km', { from: 'x/*', mode: '0755' }] }],
    });
    const c = await loadConfig(file);
    const dir = path.dirname(file);
    expect(c.source).to.equal(dir);
    expect(c.out).to.equal(path.join(dir, 'dist'));
    expect(c.release.replace).to.deep.equal(['v0.1-test']);
    expect(c.release.store).to.deep.equal({ kind: 'github' });
    expect(c.validate.doc).to.equal(path.join(dir, 'km-releases/GettingStarted.md'));
    expect(c.archives[0]!.files).to.deep.equal([{ from: 'bin/km' }, { from: 'x/*', mode: 0o755 }]);
  });

  it('reports one line per problem with its JSON path', async () => {
    const file = await write({
      archives: [
        { name: 'kontain.tar.gz', files: ['bin/km'] },
        { name: 'bad name', files: [{ from: 'a', mode: '99' }] },
      ],
      release: { replace: ['0.1-test'], bogus: 1 },
    });
    const err = await loadConfig(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.some((p) => p.startsWith('archives[1].name:'))).to.equal(true, problems.join('\n'));
    expect(problems.some((p) => p.startsWith('archives[1].files[0].mode:'))).to.equal(
      true,
      problems.join('\n'),
    );
    expect(problems.some((p) => p.startsWith('release.replace[0]:'))).to.equal(true, problems.join('\n'));
    expect(problems.some((p) => p.includes('unknown key "bogus"'))).to.equal(true, problems.join('\n'));
  });

  it('refuses two archives with the same name', async () => {
    const file = await write({
      archives: [
        { name: 'a.tar.gz', files: ['x'] },
        { name: 'a.tar.gz', files: ['y'] },
      ],
    });
    await loadConfig(file).then(
      () => expect.fail('loaded'),
      (e: unknown) =>
        expect((e as ConfigError).problems[0]).to.match(/^archives\[1\]\.name: "a.tar.gz" is used/),
    );
  });

  it('names invalid JSON and a missing file clearly', async () => {
    const file = await write('{ "archives": [ }');
    await loadConfig(file).then(
      () => expect.fail('loaded'),
      (e: unknown) => expect((e as Error).message).to.match(/not valid JSON/),
    );
    await loadConfig('/nonexistent/krel.json').then(
      () => expect.fail('loaded'),
      (e: unknown) => expect(e).to.be.instanceOf(UsageError),
    );
  });

  it('formats JSON pointers as paths', () => {
    expect(jsonPath('/archives/1/files/0')).to.equal('archives[1].files[0]');
    expect(jsonPath('')).to.equal('(root)');
  });
});
