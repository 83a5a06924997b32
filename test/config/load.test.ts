import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { jsonPath, loadConfig, SCHEMA_FILE } from '../../src/config/load.js';
import { ConfigError, UsageError } from '../../src/errors/index.js';
import { assetNameProblem } from '../../src/config/asset-name.js';
import { assetNameProblem as storeAssetNameProblem } from '../../src/store/dir-layout.js';

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

  it('refuses archive names GitHub would rename or the store would hide, each with its JSON path', async () => {
    const bad = [
      '...tar.gz',
      '.tar.gz',
      'a/b.tar.gz',
      'x..tar.gz',
      'a\tb.tar.gz',
      'a b.tar.gz',
      'kontain.tar.gz.',
      'k.zip',
    ];
    const file = await write({ archives: bad.map((name) => ({ name, files: ['x'] })) });
    const err = await loadConfig(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0])).to.deep.equal(bad.map((_, i) => `archives[${i}].name`));
    expect(problems[0]).to.equal(
      'archives[0].name: "...tar.gz" must not start or end with "." (GitHub renames it): rename it',
    );
    expect(problems[4]).to.match(/^archives\[4\]\.name: "a\\tb\.tar\.gz" may hold only letters/);
    expect(problems[7]).to.equal('archives[7].name: "k.zip" must end with ".tar.gz": rename it');
  });

  it('publish and the local store use the same asset-name rule as krel.json', () => {
    expect(storeAssetNameProblem).to.equal(assetNameProblem);
    for (const ok of ['kontain.tar.gz', 'SHA256SUMS', 'release-manifest.json', 'km+1.2-x_y.tar.gz'])
      expect(assetNameProblem(ok), ok).to.equal(undefined);
    for (const bad of ['', '.x', 'x.', 'a..b', 'a/b', 'a~b', 'x'.repeat(256)])
      expect(assetNameProblem(bad), bad).to.be.a('string');
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

describe('krel.json "repo"', () => {
  const problemsOf = async (repo: string): Promise<readonly string[]> => {
    const file = await write({ repo, archives: [{ name: 'kontain.tar.gz', files: ['bin'] }] });
    return loadConfig(file).then(
      () => [],
      (e: unknown) => (e as ConfigError).problems,
    );
  };

  it('a repo GitHub could not have ("../..", "-a/b", "a_b/c", "a/.", a 40-character owner) is refused naming "repo"', async () => {
    for (const repo of [
      '../..',
      'a/..',
      'a/.',
      '-a/b',
      'a-/b',
      'a--b/c',
      'a_b/c',
      'a.b/c',
      'a'.repeat(40) + '/b',
    ]) {
      const problems = await problemsOf(repo);
      expect(problems, repo).to.have.length(1);
      expect(problems[0], repo).to.match(/^repo: /);
    }
    expect(await problemsOf('a/' + 'b'.repeat(101))).to.have.length(1);
  });

  it('a repo GitHub allows loads unchanged', async () => {
    for (const repo of [
      'kontainapp/km',
      'a-b-c/km.rel_1-x',
      'A1/..x',
      'a'.repeat(39) + '/' + 'b'.repeat(100),
    ]) {
      expect(await problemsOf(repo), repo).to.deep.equal([]);
    }
  });
});

describe('krel.json prefix, assets, exclude and per-entry source', () => {
  const problemsOf = async (json: unknown): Promise<readonly string[]> =>
    loadConfig(await write(json)).then(
      () => [],
      (e: unknown) => (e as ConfigError).problems,
    );

  it("the prefix defaults to /opt/kontain and is each archive's unless the archive sets its own", async () => {
    const file = await write({
      archives: [
        { name: 'a.tar.gz', files: ['x'] },
        { name: 'b.tar.gz', files: ['y'], prefix: '/opt/other' },
      ],
    });
    const c = await loadConfig(file);
    expect(c.prefix).to.equal('/opt/kontain');
    expect(c.archives.map((a) => a.prefix)).to.deep.equal(['/opt/kontain', '/opt/other']);
    const top = await loadConfig(
      await write({ prefix: '/srv/k', archives: [{ name: 'a.tar.gz', files: ['x'] }] }),
    );
    expect(top.archives[0]!.prefix).to.equal('/srv/k');
  });

  it('a prefix that is relative, ends with "/" or holds ".." is refused naming its JSON path', async () => {
    for (const prefix of ['opt/kontain', '/opt/kontain/', '/opt/../etc', '/', '/opt//k']) {
      const problems = await problemsOf({ prefix, archives: [{ name: 'a.tar.gz', files: ['x'] }] });
      expect(
        problems.map((p) => p.split(':')[0]),
        prefix,
      ).to.deep.equal(['prefix']);
    }
  });

  it('an entry\'s "source" resolves against krel.json\'s directory and "exclude" is kept as given', async () => {
    const file = await write({
      archives: [{ name: 'a.tar.gz', files: [{ from: 'tests', source: '../repo', exclude: ['**/*.pyc'] }] }],
    });
    const c = await loadConfig(file);
    expect(c.archives[0]!.files[0]).to.deep.equal({
      from: 'tests',
      source: path.resolve(path.dirname(file), '../repo'),
      exclude: ['**/*.pyc'],
    });
  });

  it('assets resolve "from" against krel.json\'s directory, with an octal mode', async () => {
    const file = await write({
      archives: [{ name: 'a.tar.gz', files: ['x'] }],
      assets: [
        { name: 'kkm.run', from: 'build/kkm.run', mode: '0755' },
        { name: 'notes.txt', from: 'n.txt' },
      ],
    });
    const c = await loadConfig(file);
    expect(c.assets).to.deep.equal([
      { name: 'kkm.run', from: path.join(path.dirname(file), 'build/kkm.run'), mode: 0o755 },
      { name: 'notes.txt', from: path.join(path.dirname(file), 'n.txt') },
    ]);
  });

  it("an asset name follows the asset-name rule and may not take an archive's name or one krel writes", async () => {
    const problems = await problemsOf({
      archives: [{ name: 'a.tar.gz', files: ['x'] }],
      assets: [
        { name: 'kkm run', from: 'k' },
        { name: 'a.tar.gz', from: 'k' },
        { name: 'SHA256SUMS', from: 'k' },
        { name: 'release-manifest.json', from: 'k' },
        { name: 'k.run', from: 'k' },
        { name: 'k.run', from: 'k2' },
      ],
    });
    expect(problems).to.deep.equal([
      `assets[0].name: "kkm run" ${assetNameProblem('kkm run')}`,
      'assets[1].name: "a.tar.gz" is used by an earlier archive or asset',
      'assets[2].name: "SHA256SUMS" is the name of a file krel writes: rename it',
      'assets[3].name: "release-manifest.json" is the name of a file krel writes: rename it',
      'assets[5].name: "k.run" is used by an earlier archive or asset',
    ]);
  });
});

describe('krel.schema.json', () => {
  it('is a valid draft-07 JSON schema (checked here, so loading krel.json skips the meta-schema)', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object;
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema(schema), ajv.errorsText()).to.equal(true);
  });
});
