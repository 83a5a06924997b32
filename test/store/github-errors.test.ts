import { inspect } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { GitHubError } from '../../src/store/github-errors.js';
import { uploadReleaseAsset } from '../../src/store/github-upload.js';
import {
  captureLogger,
  draftRequest,
  emulatorStore,
  useGitHubEmulator,
  writeAsset,
} from '../support/github-emulator/testing.js';

const WRONG_TOKEN = 'ghp_wrongWrongWrong0123456789abcdefABCD99';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('github store errors are one clear line without the token', () => {
  const emu = useGitHubEmulator();

  it('a rejected token (401) says which variable to set, and neither the message nor the error object holds the token', async () => {
    const { gh } = emu;
    const { logger, lines } = captureLogger();
    const store = emulatorStore(gh, { token: WRONG_TOKEN, logger });
    const e = await failure(store.info());
    expect(e).to.be.instanceOf(GitHubError);
    expect(e.message).to.equal(
      'GitHub rejected the token (401): set GITHUB_RELEASE_TOKEN to a token with contents:write on kontainapp/km',
    );
    expect((e as GitHubError).kind).to.equal('refused');
    const everything = [inspect(e, { depth: 10 }), String(e.stack), ...lines].join('\n');
    expect(everything).not.to.include(WRONG_TOKEN);
    expect(gh.requests.map((r) => r.status)).to.deep.equal([401]);
  });

  it('an upload with a rejected token fails at once with the 401 line and no token anywhere', async () => {
    const { gh } = emu;
    const good = emulatorStore(gh);
    const draft = await good.createDraft(draftRequest('v1', gh.state.repos[0]!.commits[0]!));
    const dir = await mkdtemp(join(tmpdir(), 'krel-gh-err-'));
    try {
      const { logger, lines } = captureLogger();
      const req = await writeAsset(dir, 'a.tar.gz', 'a');
      const e = await failure(
        uploadReleaseAsset({
          ...req,
          uploadUrl: `${gh.uploadsUrl}/repos/kontainapp/km/releases/${draft.id}/assets{?name,label}`,
          token: WRONG_TOKEN,
          userAgent: 'krel-test',
          repo: 'kontainapp/km',
          logger,
          listAssets: () => good.api.listAssets(Number(draft.id)),
          deleteAsset: (id) => good.api.deleteAsset(id),
        }),
      );
      expect(e.message).to.match(/^GitHub rejected the token \(401\)/);
      expect([inspect(e, { depth: 10 }), ...lines].join('\n')).not.to.include(WRONG_TOKEN);
      expect(gh.requests.filter((r) => r.route === 'repos/upload-release-asset')).to.have.length(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unknown repository (404) says not found or no access', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh, { owner: 'kontainapp', repo: 'nope' });
    const e = await failure(store.info());
    expect(e.message).to.equal(
      'cannot read the repository kontainapp/nope: kontainapp/nope or the object was not found on GitHub, or the token cannot see it (404)',
    );
  });

  it('a refused write (422) names the action and GitHub error codes', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const e = await failure(store.createDraft(draftRequest('v1', 'f'.repeat(40))));
    expect(e.message).to.equal(
      'GitHub refused to create the release v1 (422 Validation Failed: Release.target_commitish.invalid)',
    );
    expect((e as GitHubError).status).to.equal(422);
  });

  it('GitHub unreachable is one line naming the action', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh, { apiUrl: 'http://127.0.0.1:9', retries: 0 });
    const e = await failure(store.info());
    expect(e.message).to.match(/^could not read the repository kontainapp\/km: cannot reach GitHub/);
    expect(e.message).not.to.include('\n');
  });

  it('a rate limit that outlasts the retries says so instead of blaming the token', async () => {
    const { gh } = emu;
    gh.faults.add({ route: 'repos/get', times: 10, kind: { status: 403, retryAfter: 1, secondary: true } });
    const { logger, lines } = captureLogger();
    const e = await failure(emulatorStore(gh, { rateLimitRetries: 1, logger }).info());
    expect(e.message).to.match(
      /^could not read the repository kontainapp\/km: GitHub rate limit still exceeded after waiting \(403 You have exceeded a secondary rate limit/,
    );
    expect(gh.requests.filter((r) => r.route === 'repos/get')).to.have.length(2);
    expect(lines.join('\n')).to.match(/secondary rate limit on GET .*giving up/);
  });
});
