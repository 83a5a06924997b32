import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { replaceAtomic, writeFileAtomic, writeJsonAtomic } from '../../src/util/atomic-write.js';

describe('util/atomic-write: a file is replaced whole or not at all', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'krel-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a new file (creating its directory) and replaces an existing one, leaving no temporary file', async () => {
    const file = path.join(dir, 'sub', 'report.xml');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, 'second');
    expect(await readFile(file, 'utf8')).to.equal('second');
    expect(await readdir(path.dirname(file))).to.deep.equal(['report.xml']);
  });

  it('JSON is written indented with a final newline', async () => {
    const file = path.join(dir, 'meta.json');
    await writeJsonAtomic(file, { a: 1 });
    expect(await readFile(file, 'utf8')).to.equal('{\n  "a": 1\n}\n');
  });

  it('a failing writer leaves the old content and no temporary file; the temporary file sits beside the target', async () => {
    const file = path.join(dir, 'tag');
    await writeFile(file, 'old');
    let tmpDir = '';
    const err = await replaceAtomic(file, async (tmp) => {
      tmpDir = path.dirname(tmp);
      await writeFile(tmp, 'half');
      throw new Error('disk full');
    }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('disk full');
    expect(tmpDir).to.equal(dir);
    expect(await readFile(file, 'utf8')).to.equal('old');
    expect(await readdir(dir)).to.deep.equal(['tag']);
  });
});
