/**
 * krel as another repository gets it: `npm pack` of a copy of this tree (prepack builds it from nothing), one
 * `npm install <tarball>` into an empty scratch project shared by every test, then the installed krel run from
 * that project (never from this checkout).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess, type ProcessResult } from '../../src/util/child-process.js';
import { REPO_ROOT, baseEnv } from '../support/cli.js';

const MB = 1024 * 1024;

interface PackResult {
  filename: string;
  entryCount: number;
  unpackedSize: number;
  size: number;
  files: { path: string; size: number }[];
}

async function run(cmd: string, args: string[], cwd: string): Promise<ProcessResult & { stderr: string }> {
  let stderr = '';
  const r = await runProcess(cmd, args, {
    cwd,
    env: { ...baseEnv(), npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    captureStdout: true,
    onStderr: (l) => (stderr += l + '\n'),
    timeoutMs: 600_000,
  });
  return { ...r, stderr };
}

/** This working tree as a fresh clone has it (tracked and new files, no build/), sharing node_modules. */
function copyTree(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && existsSync(path.join(REPO_ROOT, f)));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    cpSync(path.join(REPO_ROOT, f), path.join(to, f), { verbatimSymlinks: true });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(to, 'node_modules'));
}

describe('the npm package', function () {
  this.timeout(300_000);
  let work: string;
  let project: string;
  let pack: PackResult;
  let tarball: string;
  const VERSION = (
    JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const npx = (args: string[]): ReturnType<typeof run> => run('npx', ['krel', ...args], project);

  before(async function () {
    this.timeout(900_000);
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-package-'));
    const clone = path.join(work, 'clone');
    copyTree(clone);
    expect(existsSync(path.join(clone, 'build'))).to.equal(false);
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], clone);
    expect(packed.code, packed.stdout + packed.stderr).to.equal(0);
    pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;
    tarball = path.join(work, pack.filename);
    project = path.join(work, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', tarball], project);
    expect(installed.code, installed.stderr).to.equal(0);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the build, schema, recipes and templates, and no tests, TypeScript sources or maps, under 1 MB', () => {
    const paths = pack.files.map((f) => f.path);
    for (const p of [
      'package.json',
      'README.md',
      'LICENSE',
      'build/cli/main.js',
      'build/init/init-plan.js',
      'src/config/krel.schema.json',
      'src/init/templates/github-release.yml',
      'validate/images/debian-12.json',
      'validate/images/guest-setup.sh',
      'km-releases/kontain-install.sh',
      'km-releases/GettingStarted.md',
    ])
      expect(paths, p).to.include(p);
    expect(paths.filter((p) => p.startsWith('test/'))).to.deep.equal([]);
    expect(paths.filter((p) => p.endsWith('.ts') || p.endsWith('.map'))).to.deep.equal([]);
    const unpacked = pack.files.reduce((n, f) => n + f.size, 0);
    expect(unpacked).to.equal(pack.unpackedSize);
    expect(pack.unpackedSize).to.be.lessThan(MB);
    console.log(
      `      tarball: ${pack.entryCount} files, ${(pack.size / 1024).toFixed(0)} KiB packed, ${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked`,
    );
  });

  it('npx krel --version in the scratch project prints the package version', async () => {
    const r = await npx(['--version']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(VERSION);
    expect(existsSync(path.join(project, 'node_modules/krel/build/cli/main.js'))).to.equal(true);
  });

  it('krel init --from a tree, make and validate --dry-run --vm work from the scratch project', async () => {
    const tree = path.join(work, 'tree');
    cpSync(path.join(REPO_ROOT, 'examples/kontain/build'), tree, { recursive: true, verbatimSymlinks: true });
    const init = await npx(['init', '--from', tree, '--repo', 'kontainapp/demo']);
    expect(init.code, init.stderr).to.equal(0);
    const config = JSON.parse(readFileSync(path.join(project, 'krel.json'), 'utf8')) as {
      $schema: string;
      validate: { doc: string };
    };
    // Every path krel.json names into the package is there in the installed package.
    for (const p of [config.$schema, config.validate.doc])
      expect(existsSync(path.join(project, p)), p).to.equal(true);
    const make = await npx(['make']);
    expect(make.code, make.stderr).to.equal(0);
    expect(existsSync(path.join(project, 'dist/SHA256SUMS'))).to.equal(true);
    const validate = await npx(['validate', '--dry-run', '--vm']);
    expect(validate.code, validate.stderr).to.equal(0);
    expect(validate.stdout).to.include('debian-12');
  });

  it('the installed modules find the guest recipes and their setup script in the package, whatever the cwd', async () => {
    // A VM boot reads them (not a dry run): ask the installed module itself, run from the scratch project.
    const module = path.join(project, 'node_modules/krel/build/vm/image-recipe.js');
    const r = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(module)});
         const r = m.loadRecipe('debian-12');
         console.log(JSON.stringify({ dir: m.RECIPE_DIR, names: m.listRecipes(), script: r.customizeScript }));`,
      ],
      project,
    );
    expect(r.code, r.stderr).to.equal(0);
    const found = JSON.parse(r.stdout) as { dir: string; names: string[]; script: string };
    const installed = path.join(project, 'node_modules/krel/validate/images');
    expect(found.dir).to.equal(installed);
    expect(found.names).to.deep.equal(['debian-11', 'debian-12', 'debian-13']);
    expect(found.script).to.equal(path.join(installed, 'guest-setup.sh'));
    expect(existsSync(found.script)).to.equal(true);
  });

  it('the installed krel checks krel.json against the schema of the package', async () => {
    writeFileSync(path.join(project, 'bad.json'), JSON.stringify({ archives: [], colour: 'blue' }));
    const bad = await npx(['--config', 'bad.json', 'make', '--dry-run']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('unknown key "colour"');
  });

  it('npm publish --dry-run of the tarball passes (no registry contacted), and the package is not private', async () => {
    // npm refuses to publish a private package for real only, so the dry run alone does not show it.
    const manifest = JSON.parse(
      readFileSync(path.join(project, 'node_modules/krel/package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest).to.not.have.property('private');
    const userconfig = path.join(work, 'npmrc');
    writeFileSync(userconfig, '//127.0.0.1:9/:_authToken=dummy\n');
    const r = await run(
      'npm',
      [
        'publish',
        '--dry-run',
        '--registry',
        'http://127.0.0.1:9/',
        '--userconfig',
        userconfig,
        '--fetch-retries',
        '0',
        tarball,
      ],
      work,
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`krel@${VERSION}`);
  });
});
