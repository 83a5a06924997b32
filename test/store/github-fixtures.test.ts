import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { GitHubRepoApi } from '../../src/store/github-api.js';
import { createGitHubClient } from '../../src/store/github-client.js';
import { uploadReleaseAsset } from '../../src/store/github-upload.js';
import { type FixturesReplay, type Scenario, startFixturesReplay } from '../support/fixtures-replay.js';
import { captureLogger } from '../support/github-emulator/testing.js';

// The token the recordings were made with.
const TOKEN = '0000000000000000000000000000000000000001';
const HELLO = 'Hello, world!\n';

describe("krel's GitHub client replays GitHub's recorded traffic (@octokit/fixtures)", () => {
  let replay: FixturesReplay;
  let dir: string;
  let file: string;
  before(async () => {
    replay = await startFixturesReplay();
    dir = await mkdtemp(join(tmpdir(), 'krel-fixtures-'));
    file = join(dir, 'test-upload.txt');
    await writeFile(file, HELLO);
  });
  after(async () => {
    await replay.close();
    await rm(dir, { recursive: true, force: true });
  });

  function api(scenario: Scenario, repo: string): { api: GitHubRepoApi; lines: string[] } {
    const { logger, lines } = captureLogger();
    const octokit = createGitHubClient({
      token: TOKEN,
      apiUrl: scenario.apiUrl,
      logger,
      writeSpacingMs: 0,
      retries: 0,
    });
    return { api: new GitHubRepoApi(octokit, 'octokit-fixture-org', repo), lines };
  }

  function upload(client: GitHubRepoApi, uploadUrl: string, releaseId: number) {
    return uploadReleaseAsset({
      uploadUrl,
      token: TOKEN,
      userAgent: 'krel-test',
      repo: client.fullName,
      name: 'test-upload.txt',
      label: 'test',
      file,
      size: Buffer.byteLength(HELLO),
      contentType: 'text/plain',
      logger: captureLogger().logger,
      baseDelayMs: 1,
      listAssets: () => client.listAssets(releaseId),
      deleteAsset: (id) => client.deleteAsset(id),
    });
  }

  it('release-assets: get by tag, upload to the upload_url, list, get, rename and delete an asset', async () => {
    const scenario = await replay.load('release-assets');
    const { api: client } = api(scenario, 'release-assets');
    const release = await client.getReleaseByTag('v1.0.0');
    expect(release?.upload_url).to.include('/uploads.github.com/');
    const asset = await upload(client, release!.upload_url, release!.id);
    expect(asset).to.include({ name: 'test-upload.txt', state: 'uploaded', size: 14 });
    expect((await client.listAssets(release!.id)).map((a) => a.name)).to.deep.equal(['test-upload.txt']);
    expect((await client.getAsset(asset.id)).id).to.equal(asset.id);
    expect(
      (await client.updateAsset(asset.id, { name: 'new-filename.txt', label: 'new label' })).name,
    ).to.equal('new-filename.txt');
    await client.deleteAsset(asset.id);
    await scenario.assertDone();
  });

  it('release-assets-conflict: a 422 already_exists upload deletes the existing asset and uploads again', async () => {
    const scenario = await replay.load('release-assets-conflict');
    const { api: client } = api(scenario, 'release-assets-conflict');
    const release = await client.getReleaseByTag('v1.0.0');
    const asset = await upload(client, release!.upload_url, release!.id);
    expect(asset).to.include({ name: 'test-upload.txt', state: 'uploaded' });
    await scenario.assertDone();
  });

  it('git-refs: list refs, create a branch, move it, delete it', async () => {
    const scenario = await replay.load('git-refs');
    const { api: client } = api(scenario, 'git-refs');
    // The recording lists refs with GitHub's legacy URL ".../git/refs/" (trailing slash), which octokit cannot
    // produce (it strips trailing slashes) and krel never needs: those two reads are sent as recorded. Every
    // write goes through krel's client.
    const listRefs = async () => {
      const res = await fetch(`${scenario.apiUrl}/repos/octokit-fixture-org/git-refs/git/refs/`, {
        headers: { accept: 'application/vnd.github.v3+json', authorization: `token ${TOKEN}` },
      });
      return (await res.json()) as { ref: string }[];
    };
    expect((await listRefs()).map((r) => r.ref)).to.deep.equal(['refs/heads/main']);
    await client.createRef('refs/heads/test', '0000000000000000000000000000000000000002');
    await client.updateRef('heads/test', '0000000000000000000000000000000000000001');
    expect((await listRefs()).map((r) => r.ref)).to.deep.equal(['refs/heads/main', 'refs/heads/test']);
    expect(await client.deleteRef('heads/test')).to.equal(true);
    await scenario.assertDone();
  });

  it('a scenario whose recorded requests were not all made is reported as incomplete', async () => {
    const scenario = await replay.load('release-assets');
    const { api: client } = api(scenario, 'release-assets');
    await client.getReleaseByTag('v1.0.0');
    let failure: unknown;
    await scenario.assertDone().catch((e: unknown) => (failure = e));
    expect(String(failure)).to.match(/did not replay completely/);
  });
});
