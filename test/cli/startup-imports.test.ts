/**
 * Start-up cost: a command loads only the packages it uses. The release stores (octokit, got, bottleneck,
 * proper-lockfile) load on the store's first call, cli-progress when a bar is drawn on a TTY, and of semver only
 * coerce, got (validate) only to download a release's checksums; a module loader hook lists what the built CLI
 * really imported (npm test builds it first).
 */
import { expect } from 'chai';
import { after, before } from 'mocha';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { KREL_BIN, REPO_ROOT, baseEnv } from '../support/cli.js';

const CONFIG = path.join(REPO_ROOT, 'examples/kontain/krel.json');

describe('krel CLI: start-up loads only what the command uses', () => {
  let dir: string;
  let register: string;

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'krel-startup-'));
    const hooks = path.join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.KREL_TEST_LOADED, url + '\\n');
  return next(url, context);
}
`,
    );
    register = path.join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The packages (node_modules/<name>/<file>) a run of the built CLI imported, after checking it exits 0. */
  async function loadedBy(args: string[]): Promise<string[]> {
    const list = path.join(dir, `loaded-${args[0]}-${Date.now()}.txt`);
    writeFileSync(list, '');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', register, KREL_BIN, ...args], {
        cwd: REPO_ROOT,
        env: { ...baseEnv(), KREL_TEST_LOADED: list },
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect(code, `krel ${args.join(' ')}`).to.equal(0);
    return readFileSync(list, 'utf8')
      .split('\n')
      .map((u) => /\/node_modules\/(.+)$/.exec(u)?.[1])
      .filter((p): p is string => p !== undefined);
  }

  const matching = (loaded: string[], re: RegExp): string[] => loaded.filter((p) => re.test(p));

  it('make --dry-run loads no release store, no progress bars (not a TTY) and not all of semver', async () => {
    const out = path.join(dir, 'dist');
    const loaded = await loadedBy(['--dry-run', 'make', '--config', CONFIG, '--out', out]);
    expect(matching(loaded, /^tar\//), 'the run really imported its packages').to.not.deep.equal([]);
    expect(matching(loaded, /^(@octokit|got|bottleneck|proper-lockfile|cli-progress)\//)).to.deep.equal([]);
    expect(matching(loaded, /^semver\/(index|preload)\.js$/)).to.deep.equal([]);
  });

  it('validate --lint loads no GitHub API client and no HTTP client', async () => {
    const loaded = await loadedBy(['validate', '--config', CONFIG, '--lint']);
    expect(matching(loaded, /^mdast-util-from-markdown\//)).to.not.deep.equal([]);
    expect(matching(loaded, /^(@octokit|bottleneck|got)\//)).to.deep.equal([]);
  });
});
