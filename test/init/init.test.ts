/** `krel init` through the real CLI, in scratch repositories. */
import { expect } from 'chai';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildCli } from '../publish/project.js';
import { REPO_ROOT, runKrel, type RunResult } from '../support/cli.js';
import { lintAzurePipeline, lintGitHubWorkflow } from '../support/workflow-lint.js';

const VERSION = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const GH = '.github/workflows/release.yml';
const AZ = '.azure-pipelines/release.yml';

/** Every file under dir (relative path -> bytes and mtime), to prove a run changed nothing. */
function snapshot(dir: string): Map<string, { bytes: string; mtimeMs: number }> {
  const out = new Map<string, { bytes: string; mtimeMs: number }>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else
        out.set(path.relative(dir, p), {
          bytes: e.isSymbolicLink() ? readlinkSync(p) : readFileSync(p).toString('base64'),
          mtimeMs: lstatSync(p).mtimeMs,
        });
    }
  };
  walk(dir);
  return out;
}

describe('krel init', function () {
  this.timeout(120_000);
  let dir: string;
  before(buildCli);
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'krel-init-'));
    cpSync(path.join(REPO_ROOT, 'examples/kontain/build'), path.join(dir, 'tree'), {
      recursive: true,
      verbatimSymlinks: true,
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const krel = (args: string[]): Promise<RunResult> => runKrel(args, { cwd: dir });
  const read = (p: string): string => readFileSync(path.join(dir, p), 'utf8');
  const config = (p = 'krel.json'): Record<string, unknown> => JSON.parse(read(p)) as Record<string, unknown>;

  it('writes krel.json with kontain.tar.gz from the top-level directories, kontain-NAME.tar.gz per payload, and $schema into node_modules/krel; krel make packages it', async () => {
    const r = await krel(['init', '--from', 'tree', '--repo', 'kontainapp/demo']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('wrote krel.json').and.include(`wrote ${GH}`);
    const c = config();
    expect(c.$schema).to.equal('node_modules/krel/src/config/krel.schema.json');
    // The same file in this checkout, where the installed package has it.
    expect(
      existsSync(path.join(REPO_ROOT, (c.$schema as string).replace('node_modules/krel/', ''))),
    ).to.equal(true);
    expect(c).to.include({ repo: 'kontainapp/demo', source: 'tree' });
    const dirs = readdirSync(path.join(dir, 'tree')).sort();
    expect(c.archives).to.deep.equal([
      { name: 'kontain.tar.gz', files: dirs.filter((d) => d !== 'payloads') },
      { name: 'kontain-node.tar.gz', files: ['payloads/node'] },
      { name: 'kontain-python.tar.gz', files: ['payloads/python'] },
    ]);
    // No km-releases/ of its own: validate runs the guide and installer of the installed package.
    expect(c.validate).to.deep.equal({
      doc: 'node_modules/krel/km-releases/GettingStarted.md',
      installScript: 'node_modules/krel/km-releases/kontain-install.sh',
    });
    expect(existsSync(path.join(dir, AZ))).to.equal(false);
    expect(existsSync(path.join(dir, 'km-releases'))).to.equal(false);
    const make = await krel(['make']);
    expect(make.code, make.stderr).to.equal(0);
    expect(readdirSync(path.join(dir, 'dist'))).to.include.members([
      'kontain.tar.gz',
      'kontain-node.tar.gz',
      'kontain-python.tar.gz',
    ]);
  });

  it('run twice, the second run refuses with exit 3 naming the files and changes no byte or mtime; --force rewrites', async () => {
    expect((await krel(['init', '--from', 'tree', '--docs', '--azure'])).code).to.equal(0);
    writeFileSync(path.join(dir, 'krel.json'), '{"edited": true}\n');
    writeFileSync(path.join(dir, GH), 'name: edited\n');
    const before = snapshot(dir);
    const again = await krel(['init', '--from', 'tree', '--docs', '--azure']);
    expect(again.code).to.equal(3);
    expect(again.stderr.trim().split('\n')).to.have.length(1);
    for (const f of ['krel.json', GH, AZ, 'km-releases/kontain-install.sh'])
      expect(again.stderr).to.include(f);
    expect(snapshot(dir)).to.deep.equal(before);
    const forced = await krel(['init', '--from', 'tree', '--docs', '--azure', '--force']);
    expect(forced.code, forced.stderr).to.equal(0);
    expect(config()).to.have.property('archives');
    expect(read(GH)).to.include(`kontainapp/krel@v${VERSION}`);
  });

  it('one existing target is enough to write nothing at all', async () => {
    mkdirSync(path.join(dir, '.github/workflows'), { recursive: true });
    writeFileSync(path.join(dir, GH), 'name: mine\n');
    const r = await krel(['init', '--from', 'tree']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.include(GH).and.include('--force').and.not.include('krel.json');
    expect(existsSync(path.join(dir, 'krel.json'))).to.equal(false);
    expect(read(GH)).to.equal('name: mine\n');
  });

  it('a directory where a file goes is refused even with --force', async () => {
    mkdirSync(path.join(dir, 'krel.json'));
    const r = await krel(['init', '--from', 'tree', '--force']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.include('krel.json is a directory');
    expect(existsSync(path.join(dir, GH))).to.equal(false);
  });

  it('--dry-run lists the files and writes none; --json gives the plan, and apply reports exactly its actions', async () => {
    const dry = await krel(['--dry-run', 'init', '--from', 'tree', '--docs', '--azure']);
    expect(dry.code, dry.stderr).to.equal(0);
    for (const f of ['krel.json', GH, AZ, 'km-releases/GettingStarted.md']) expect(dry.stdout).to.include(f);
    expect(readdirSync(dir)).to.deep.equal(['tree']);
    const plan = JSON.parse(
      (await krel(['--dry-run', '--json', 'init', '--from', 'tree', '--docs', '--azure'])).stdout,
    ) as { version: number; kind: string; actions: { kind: string; path: string; replaces: boolean }[] };
    expect(plan).to.include({ version: 1, kind: 'init' });
    expect(readdirSync(dir)).to.deep.equal(['tree']);
    const run = await krel(['--json', 'init', '--from', 'tree', '--docs', '--azure']);
    expect(run.code, run.stderr).to.equal(0);
    const done = (JSON.parse(run.stdout) as { done: unknown[] }).done;
    expect(done).to.deep.equal(plan.actions.map(({ kind, path, replaces }) => ({ kind, path, replaces })));
    expect(plan.actions.map((a) => a.kind)).to.deep.equal([
      'write-config',
      'copy-template',
      'copy-template',
      'copy-template',
      'copy-template',
      'write-workflow',
      'write-workflow',
    ]);
  });

  it('--docs copies the km-releases skeleton from the package (installer executable) and krel.json uses it', async () => {
    const r = await krel(['init', '--from', 'tree', '--docs']);
    expect(r.code, r.stderr).to.equal(0);
    for (const f of ['kontain-install.sh', 'README.md', 'GettingStarted.md', 'default-release'])
      expect(read(`km-releases/${f}`)).to.equal(readFileSync(path.join(REPO_ROOT, 'km-releases', f), 'utf8'));
    expect(statSync(path.join(dir, 'km-releases/kontain-install.sh')).mode & 0o777).to.equal(0o755);
    expect(statSync(path.join(dir, 'km-releases/README.md')).mode & 0o777).to.equal(0o644);
    expect(read('km-releases/GettingStarted.md')).to.match(/<!-- krel: [^>]+-->/);
    expect(config()).to.not.have.property('validate');
  });

  it('the release workflow passes actionlint and uses the krel action at this version; the Azure twin passes its checks', async () => {
    expect((await krel(['init', '--from', 'tree', '--azure'])).code).to.equal(0);
    const gh = read(GH);
    expect(await lintGitHubWorkflow(gh, GH)).to.deep.equal([]);
    const wf = parseYaml(gh) as { jobs: Record<string, { steps: { uses?: string }[] }> };
    const uses = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.uses ?? ''));
    expect(uses.filter((u) => u.includes('/krel@'))).to.have.length(4);
    for (const u of uses.filter((u) => u.includes('/krel@')))
      expect(u).to.equal(`kontainapp/krel@v${VERSION}`);
    const az = read(AZ);
    expect(lintAzurePipeline(az)).to.deep.equal([]);
    // No package.json listing krel here: Azure installs krel from npm at this version.
    expect(az).to.include(`npm install --no-save --no-audit --no-fund krel@${VERSION}`);
  });

  it('the Azure twin installs with npm ci when package.json lists krel', async () => {
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ devDependencies: { krel: `^${VERSION}` } }),
    );
    expect((await krel(['init', '--from', 'tree', '--azure'])).code).to.equal(0);
    expect(read(AZ)).to.include('script: npm ci --no-audit --no-fund').and.not.include('npm install');
  });

  it('top-level files go into kontain.tar.gz; hidden entries are left out with a note; a tree of payloads only has no kontain.tar.gz', async () => {
    writeFileSync(path.join(dir, 'tree/VERSION'), '1\n');
    symlinkSync('VERSION', path.join(dir, 'tree/CURRENT'));
    mkdirSync(path.join(dir, 'tree/.cache'));
    mkdirSync(path.join(dir, 'tree/payloads/.old'));
    const r = await krel(['init', '--from', 'tree']);
    expect(r.code, r.stderr).to.equal(0);
    const archives = config().archives as { name: string; files: string[] }[];
    expect(archives[0]!.files).to.include.members(['CURRENT', 'VERSION']).and.not.include('.cache');
    expect(archives.map((a) => a.name)).to.deep.equal([
      'kontain.tar.gz',
      'kontain-node.tar.gz',
      'kontain-python.tar.gz',
    ]);
    expect(r.stderr).to.include('left out .cache: hidden').and.include('left out payloads/.old: hidden');
    expect((await krel(['make'])).code).to.equal(0);
    cpSync(path.join(dir, 'tree/payloads'), path.join(dir, 'only/payloads'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    const payloadsOnly = await krel(['--config', 'p.json', 'init', '--from', 'only', '--force']);
    expect(payloadsOnly.code, payloadsOnly.stderr).to.equal(0);
    expect((config('p.json').archives as { name: string }[]).map((a) => a.name)).to.deep.equal([
      'kontain-node.tar.gz',
      'kontain-python.tar.gz',
    ]);
    expect(payloadsOnly.stderr).to.include('no kontain.tar.gz');
  });

  it('--config sub/krel.json points $schema, source and the workflow at the right places', async () => {
    mkdirSync(path.join(dir, 'sub'));
    const r = await krel(['--config', 'sub/krel.json', 'init', '--from', 'tree']);
    expect(r.code, r.stderr).to.equal(0);
    const c = config('sub/krel.json');
    expect(c).to.include({ $schema: '../node_modules/krel/src/config/krel.schema.json', source: '../tree' });
    expect(read(GH)).to.include("config: 'sub/krel.json'").and.include("path: 'sub/dist'");
  });

  it('without --from it packages ./build; with no tree, or a bad --repo, one line and exit 2', async () => {
    const none = await krel(['init']);
    expect(none.code).to.equal(2);
    expect(none.stderr.trim().split('\n')).to.have.length(1);
    expect(none.stderr).to.include('--from DIR');
    const badRepo = await krel(['init', '--from', 'tree', '--repo', '../x']);
    expect(badRepo.code).to.equal(2);
    expect(readdirSync(dir)).to.deep.equal(['tree']);
    cpSync(path.join(dir, 'tree'), path.join(dir, 'build'), { recursive: true, verbatimSymlinks: true });
    const r = await krel(['init']);
    expect(r.code, r.stderr).to.equal(0);
    expect(config().source).to.equal('build');
  });
});
