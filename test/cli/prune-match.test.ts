/** `krel prune --match`: the glob is checked before anything is read or deleted. */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildCli, makeProject, type Project } from '../publish/project.js';

describe('krel prune --match', function () {
  this.timeout(120_000);
  let p: Project;
  before(buildCli);
  afterEach(() => p.cleanup());

  it("an empty --match '' is a usage error (exit 2, one line) and no release is deleted", async () => {
    p = makeProject({ store: 'dir:store' });
    p.writeDist({ 'kontain.tar.gz': 'x\n' });
    expect((await p.run(['publish'], { RELEASE_TAG: 'v0.1-test' })).code).to.equal(0);
    const releases = path.join(p.dir, 'store/kontainapp/km/releases/download');
    const r = await p.run(['prune', '--match', '', '--keep', '0', '--force']);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr.trimEnd().split('\n')).to.deep.equal([
      "error: option '--match <glob>' argument '' is invalid. is blank: give a tag glob, e.g. 'v*-daily'",
    ]);
    expect(readdirSync(releases).filter((n) => !n.startsWith('.'))).to.deep.equal(['v0.1-test']);
  });
});
