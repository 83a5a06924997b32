/**
 * Which VMs `krel validate` plans, without booting any: `--vm all` is every guest recipe, `--vm-image FILE` a
 * VM per cloud image named after its file (never written, checked before anything boots).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidatePlan } from '../../src/validate/validate.js';
import { listRecipes } from '../../src/vm/image-recipe.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { makeSmallProject, type SmallProject } from '../support/small-project.js';
import { ensureCommands } from '../support/tools.js';

describe('krel validate: --vm all and --vm-image targets (dry run)', function () {
  this.timeout(120_000);
  let work: string;
  let project: SmallProject;
  let image: string;
  let runRoot: string;

  before(async () => {
    ensureCommands({ 'qemu-img': 'qemu-utils' });
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-vm-targets-'));
    project = await makeSmallProject(path.join(work, 'project'), ['uname -a']);
    runRoot = path.join(work, 'tmp');
    mkdirSync(runRoot);
    image = path.join(work, 'my-cloud.qcow2');
    spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '1G'], { stdio: 'ignore' });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  // krel's temp directory (where a VM's run directory would go) is the test's own.
  const dry = (args: string[]) =>
    runKrel(
      ['validate', '--config', project.config, '--dist', project.dist, '--dry-run', '--json', ...args],
      {
        env: { TMPDIR: runRoot },
      },
    );
  const targets = (stdout: string): string[] => (JSON.parse(stdout) as ValidatePlan).targets;

  it('--vm all plans one VM per guest recipe: debian-11, debian-12 and debian-13', async () => {
    expect(listRecipes()).to.deep.equal(['debian-11', 'debian-12', 'debian-13']);
    const r = await dry(['--vm', 'all']);
    expect(r.code, r.stderr).to.equal(0);
    expect(targets(r.stdout)).to.deep.equal(['debian-11', 'debian-12', 'debian-13']);
    const mixed = await dry(['--vm', 'debian-13,all']);
    expect(targets(mixed.stdout), 'each image once').to.deep.equal(['debian-13', 'debian-11', 'debian-12']);
  });

  it('the example release validates on debian-11, debian-12 and debian-13 by default', async () => {
    const example = JSON.parse(readFileSync(path.join(REPO_ROOT, 'examples/kontain/krel.json'), 'utf8')) as {
      validate: { vm?: string[] };
    };
    expect(example.validate.vm).to.deep.equal(['debian-11', 'debian-12', 'debian-13']);
    const r = await runKrel(
      [
        'validate',
        '--config',
        'examples/kontain/krel.json',
        '--dist',
        project.dist,
        '--dry-run',
        '--json',
        '--vm',
      ],
      { env: { TMPDIR: runRoot } },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(targets(r.stdout)).to.deep.equal(['debian-11', 'debian-12', 'debian-13']);
  });

  it('--vm-image plans a VM named after the file, alone or beside --vm, and leaves the file untouched', async () => {
    const before = { bytes: readFileSync(image), mtime: statSync(image).mtimeMs };
    const alone = await dry(['--vm-image', image]);
    expect(alone.code, alone.stderr).to.equal(0);
    expect(targets(alone.stdout), 'no default VM is added').to.deep.equal(['my-cloud.qcow2']);
    const both = await dry(['--vm', 'debian-12', '--vm-image', path.relative(REPO_ROOT, image)]);
    expect(both.code, both.stderr).to.equal(0);
    expect(targets(both.stdout)).to.deep.equal(['debian-12', 'my-cloud.qcow2']);
    expect(readFileSync(image).equals(before.bytes)).to.equal(true);
    expect(statSync(image).mtimeMs).to.equal(before.mtime);
  });

  it('a missing file, a directory, a file that is no disk image or a name that cannot name a target is refused with exit 2, one line, before anything boots', async () => {
    const notes = path.join(work, 'notes.txt');
    writeFileSync(notes, 'not a disk\n'.repeat(100));
    const spaced = path.join(work, 'my cloud.qcow2');
    writeFileSync(spaced, readFileSync(image));
    const dir = path.join(work, 'images.d');
    mkdirSync(dir);
    const cases: [string, RegExp][] = [
      [path.join(work, 'missing.qcow2'), /--vm-image .*missing\.qcow2: no such readable file/],
      [dir, /--vm-image .*images\.d: not a file/],
      [notes, /--vm-image .*notes\.txt: not a disk image/],
      [spaced, /--vm-image .*my cloud\.qcow2: the file name names the target/],
    ];
    for (const [file, message] of cases) {
      const r = await dry(['--vm-image', file]);
      expect(r.code, r.stderr).to.equal(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).to.match(message);
      expect(r.stderr).not.to.match(/\n\s+at /);
    }
    // Two files of one name in different folders would be two targets of one name.
    const twin = path.join(work, 'twin');
    mkdirSync(twin);
    writeFileSync(path.join(twin, 'my-cloud.qcow2'), readFileSync(image));
    const r = await dry(['--vm-image', image, '--vm-image', path.join(twin, 'my-cloud.qcow2')]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr.trim().split('\n').at(-1)).to.match(
      /^krel: target my-cloud\.qcow2 is named twice: each target needs its own name \(rename one --vm-image file/,
    );
    expect(readdirSync(runRoot), 'no VM directory was made').to.deep.equal([]);
  });

  it('a guest image with no recipe is refused with exit 2 in the plan, naming the known ones', async () => {
    const r = await dry(['--vm', 'debian-12,debian-99']);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr.trim().split('\n').at(-1)).to.equal(
      'krel: --vm debian-99: no such guest image (known: debian-11, debian-12, debian-13, or all)',
    );
  });
});
