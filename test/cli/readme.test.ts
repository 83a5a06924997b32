import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../support/cli.js';
import { helpText, README, readmeHelpBlocks } from '../support/readme-help.js';

describe('README', () => {
  before(function () {
    this.timeout(120_000);
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
  });

  it('has a command reference for krel and every command that krel --help lists', () => {
    const listed = [...helpText('krel').matchAll(/^ {2}([a-z]+) /gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    expect(listed.length).to.be.at.least(8);
    expect([...readmeHelpBlocks().keys()].sort()).to.deep.equal(['krel', ...listed].sort());
  });

  it('each reference block is exactly what --help prints (npm run docs rewrites them)', () => {
    for (const [name, block] of readmeHelpBlocks())
      expect(block, `krel ${name} --help`).to.equal(helpText(name));
  });

  it('names the two commands of a newcomer', () => {
    const text = readFileSync(README, 'utf8');
    expect(text).to.include('npm ci && npm run demo');
    expect(text).to.include('npm test');
  });
});
