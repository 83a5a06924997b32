/**
 * Names and secrets at the edge of the CLI: a tag, a repository or a GITHUB_API_URL that krel must refuse is
 * refused with exit 2 and one line before anything is asked of GitHub or written to a store, and no secret
 * (a token of any length, the password of a URL) appears in stdout, stderr, CI annotations, -v logs or the
 * job summary file.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../support/cli.js';
import { fakeSha } from '../support/github-emulator/index.js';
import { useGitHubEmulator } from '../support/github-emulator/testing.js';
import { type Project, buildCli, makeProject, snapshotTree } from '../publish/project.js';

const C1 = fakeSha('kontainapp/km#1');
const C2 = fakeSha('kontainapp/km#2');

/** Exit 2 with one "krel: ..." line and no stack trace. */
function expectUsageLine(r: RunResult, pattern: RegExp): void {
  expect(r.code, r.stderr).to.equal(2);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('krel: '));
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(pattern);
  expect(r.stderr).to.not.match(/\n\s+at |ENAMETOOLONG|internal error/);
}

function rewriteConfig(p: Project, change: (c: Record<string, unknown>) => void): void {
  const c = JSON.parse(readFileSync(p.config, 'utf8')) as Record<string, unknown>;
  change(c);
  writeFileSync(p.config, JSON.stringify(c));
}

describe('krel refuses bad names and never prints secrets', function () {
  this.timeout(120_000);
  before(buildCli);

  describe('tags and repositories, against the GitHub emulator', () => {
    const emu = useGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km', commits: [C1, C2] }] });
    let p: Project;
    beforeEach(() => {
      p = makeProject({ store: 'github' });
      p.writeDist({ 'kontain.tar.gz': 'bytes\n' });
      emu.gh.state.repos[0]!.refs.set('refs/tags/v1.0', C1);
    });
    afterEach(() => p.cleanup());
    const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
      GITHUB_API_URL: emu.gh.apiUrl,
      GITHUB_TOKEN: emu.gh.token,
      KREL_RETRY_BASE_MS: '10',
      KREL_GITHUB_WRITE_SPACING_MS: '0',
      ...extra,
    });

    it('RELEASE_TAG v1.0#x-daily (matching v*-daily) is refused with exit 2, no request is made and tag v1.0 stays', async () => {
      const r = await p.run(['publish', '--commit', p.commits[1]], env({ RELEASE_TAG: 'v1.0#x-daily' }));
      expectUsageLine(r, /"v1\.0#x-daily" \(from RELEASE_TAG\) must not contain #, \? or %/);
      expect(emu.gh.requests).to.deep.equal([]);
      expect(emu.gh.state.repos[0]!.refs.get('refs/tags/v1.0')).to.equal(C1);
    });

    it('krel delete v1.0#x-daily --tag is refused with exit 2 and no request: tag v1.0 is not deleted', async () => {
      const r = await p.run(['delete', 'v1.0#x-daily', '--tag', '--force'], env({}));
      expectUsageLine(r, /"v1\.0#x-daily" must not contain #, \? or %/);
      expect(emu.gh.requests).to.deep.equal([]);
      expect(emu.gh.state.repos[0]!.refs.get('refs/tags/v1.0')).to.equal(C1);
    });

    it('a tag from the CI ref holding % or ? is refused naming GITHUB_REF', async () => {
      for (const ref of ['refs/tags/v1%2e0', 'refs/tags/v1.0?x']) {
        const r = await p.run(['publish', '--commit', p.commits[1]], env({ GITHUB_REF: ref }));
        expectUsageLine(r, /\(from GITHUB_REF\)/);
      }
      expect(emu.gh.requests).to.deep.equal([]);
    });

    it('a 300-character RELEASE_TAG is refused with exit 2 in one line, before any notes file is read', async () => {
      const r = await p.run(
        ['publish', '--commit', p.commits[1]],
        env({ RELEASE_TAG: 'v' + '1'.repeat(299) }),
      );
      expectUsageLine(r, /is 300 bytes long; a release tag holds at most 200/);
      expect(r.stderr).to.not.include('1'.repeat(100));
      expect(emu.gh.requests).to.deep.equal([]);
    });

    it('GITHUB_REPOSITORY that GitHub could not have is refused with exit 2 naming GITHUB_REPOSITORY', async () => {
      rewriteConfig(p, (c) => delete c.repo);
      for (const repo of ['../..', 'kontainapp/..', 'kontain_app/km', 'a#b/km']) {
        const r = await p.run(
          ['publish', '--commit', p.commits[1]],
          env({ RELEASE_TAG: 'v0.1-test', GITHUB_REPOSITORY: repo }),
        );
        expectUsageLine(r, /\(from GITHUB_REPOSITORY\)/);
      }
      expect(emu.gh.requests).to.deep.equal([]);
    });
  });

  describe('repositories and the local store', () => {
    let p: Project;
    beforeEach(() => {
      // The store sits two levels down, so "../.." would land inside the project where a snapshot sees it.
      p = makeProject({ store: 'dir:a/b/store' });
      p.writeDist({ 'kontain.tar.gz': 'bytes\n' });
    });
    afterEach(() => p.cleanup());

    it('krel.json "repo": "../.." is refused with exit 2 naming "repo" and nothing is written anywhere', async () => {
      rewriteConfig(p, (c) => (c.repo = '../..'));
      const before = snapshotTree(p.dir);
      for (const args of [
        ['publish', '--commit', p.commits[1]],
        ['delete', 'v0.1-test', '--tag'],
      ]) {
        const r = await p.run(args, { RELEASE_TAG: 'v0.1-test' });
        expectUsageLine(r, /repo: "\.\.\/\.\." has owner "\.\."/);
      }
      expect(snapshotTree(p.dir)).to.deep.equal(before);
    });

    it('GITHUB_REPOSITORY "../.." with a dir store is refused with exit 2 and nothing is written anywhere', async () => {
      rewriteConfig(p, (c) => delete c.repo);
      const before = snapshotTree(p.dir);
      const r = await p.run(['publish', '--commit', p.commits[1]], {
        RELEASE_TAG: 'v0.1-test',
        GITHUB_REPOSITORY: '../..',
      });
      expectUsageLine(r, /"\.\.\/\.\." \(from GITHUB_REPOSITORY\)/);
      expect(snapshotTree(p.dir)).to.deep.equal(before);
      expect(existsSync(path.join(p.dir, 'a', 'releases'))).to.equal(false);
    });
  });

  describe('secrets', () => {
    const emu = useGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km', commits: [C1, C2] }] });
    let p: Project;
    let summary: string;
    beforeEach(() => {
      p = makeProject({ store: 'github' });
      p.writeDist({ 'kontain.tar.gz': 'bytes\n' });
      summary = path.join(p.dir, 'summary.md');
      writeFileSync(summary, '');
    });
    afterEach(() => p.cleanup());

    /** Run with GitHub Actions annotations, -v and a job summary file; the secret must appear in none. */
    const runHiding = async (
      secret: string,
      args: string[],
      extra: NodeJS.ProcessEnv,
    ): Promise<RunResult> => {
      const r = await p.run(['-v', ...args], {
        GITHUB_ACTIONS: 'true',
        GITHUB_STEP_SUMMARY: summary,
        KREL_RETRY_BASE_MS: '10',
        KREL_GITHUB_WRITE_SPACING_MS: '0',
        ...extra,
      });
      for (const [where, text] of [
        ['stdout', r.stdout],
        ['stderr', r.stderr],
        ['the job summary', readFileSync(summary, 'utf8')],
      ] as const)
        expect(text.includes(secret), `${secret} appears in ${where}:\n${text}`).to.equal(false);
      return r;
    };

    it('a GITHUB_API_URL with user:password@ is refused with exit 2 naming it, and the password is printed nowhere', async () => {
      const port = new URL(emu.gh.apiUrl).port;
      const r = await runHiding('s3cr3t-pw', ['publish', '--commit', p.commits[1]], {
        GITHUB_API_URL: `http://krel-user:s3cr3t-pw@127.0.0.1:${port}`,
        GITHUB_TOKEN: emu.gh.token,
        RELEASE_TAG: 'v0.1-test',
      });
      expectUsageLine(r, /GITHUB_API_URL must not hold a user or password/);
      expect(r.stderr).to.match(/^::error::GITHUB_API_URL/m);
      expect(emu.gh.requests).to.deep.equal([]);
    });

    it('a malformed GITHUB_API_URL ("not a url", ftp://, a bare host:port) is a usage error naming it (exit 2)', async () => {
      for (const url of [
        'not a url',
        'ftp://pw-in-ftp@127.0.0.1/x',
        '127.0.0.1:8080',
        'user:pw-no-scheme@host',
      ]) {
        const r = await runHiding('pw-', ['publish', '--commit', p.commits[1]], {
          GITHUB_API_URL: url,
          GITHUB_TOKEN: emu.gh.token,
          RELEASE_TAG: 'v0.1-test',
        });
        expectUsageLine(r, /GITHUB_API_URL/);
      }
    });

    it('a 3-character GITHUB_TOKEN is a secret too: echoed in a refused tag, it is printed as ***', async () => {
      const r = await runHiding('Q7z', ['publish', '--commit', p.commits[1]], {
        GITHUB_API_URL: emu.gh.apiUrl,
        GITHUB_TOKEN: 'Q7z',
        RELEASE_TAG: 'v1.0#Q7z',
      });
      expectUsageLine(r, /"v1\.0#\*\*\*"/);
    });
  });
});
