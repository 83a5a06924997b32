/** The local store's layout builds paths only from checked names, so no path leaves the store's root. */
import path from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../src/errors/index.js';
import { dirLayout } from '../../src/store/dir-layout.js';

describe('local store layout', () => {
  const root = path.resolve('/srv/store');

  it('a repository GitHub could not have ("../..", "a/..", ".x/y", "a/b/c") is refused, not joined to the root', () => {
    for (const repo of ['../..', 'a/..', 'a/.', '.x/y', 'a/b/c', 'a', 'a/b\\..\\..', 'a_b/c']) {
      expect(() => dirLayout(root, repo), repo).to.throw(UsageError, /repository/);
    }
  });

  it('every path of a valid repository, tag and draft id stays under the root', () => {
    const l = dirLayout(root, 'kontain-app/km.rel_1');
    for (const p of [
      l.base,
      l.download,
      l.settingsFile,
      l.releaseDir('v1/x'),
      l.tagFile('v1.0'),
      l.draftDir('abc-1'),
    ])
      expect(p.startsWith(root + path.sep), p).to.equal(true);
  });

  it('a tag or draft id that could climb out of the store is refused', () => {
    const l = dirLayout(root, 'kontainapp/km');
    for (const tag of ['../../../etc', 'v1/../../x', '.hidden', 'v1//x', '/abs'])
      for (const f of [(t: string) => l.releaseDir(t), (t: string) => l.tagFile(t)])
        expect(() => f(tag), tag).to.throw(UsageError);
    for (const id of ['../x', 'a/b', '']) expect(() => l.draftDir(id), id).to.throw(UsageError);
  });
});
