import { expect } from 'chai';
import { resolveOperation, validateResponse } from '../support/github-emulator/openapi.js';
import { startGitHubEmulator, type GitHubEmulator } from '../support/github-emulator/index.js';

const TOKEN = 'ghp_emulatorSelfTest0123456789abcdefABCD';

describe('the GitHub emulator checks traffic against the OpenAPI description', () => {
  let gh: GitHubEmulator;
  beforeEach(
    async () => (gh = await startGitHubEmulator({ repos: [{ owner: 'o', repo: 'r' }], token: TOKEN })),
  );
  afterEach(async () => gh.close());

  const headers = { authorization: `token ${TOKEN}`, 'content-type': 'application/json' };

  it('a request body that violates the spec is recorded and fails assertNoViolations', async () => {
    await fetch(`${gh.apiUrl}/repos/o/r/releases`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ tag_name: 5, draft: 'yes' }),
    });
    expect(gh.violations.join('\n')).to.match(
      /POST \/repos\/o\/r\/releases: request body: \/tag_name must be string/,
    );
    expect(() => gh.assertNoViolations()).to.throw(/OpenAPI violation/);
  });

  it('an unknown query parameter and a route GitHub does not have are recorded', async () => {
    await fetch(`${gh.apiUrl}/repos/o/r/releases?per_page=5&colour=red`, { headers });
    await fetch(`${gh.apiUrl}/repos/o/r/no-such-thing`, { headers });
    expect(gh.violations).to.have.length(2);
    expect(gh.violations[0]).to.match(/unknown query parameter "colour"/);
    expect(gh.violations[1]).to.match(/no operation in GitHub's OpenAPI description/);
  });

  it('an upload sent to the API host instead of the uploads host is recorded', async () => {
    await fetch(`${gh.apiUrl}/repos/o/r/releases/1/assets?name=a`, { method: 'POST', headers, body: 'x' });
    expect(gh.violations.join('\n')).to.match(/on the api host/);
  });

  it('a response missing a required field or with a wrong type is recorded', async () => {
    const create = await fetch(`${gh.apiUrl}/repos/o/r/releases`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ tag_name: 'v1', draft: true }),
    });
    const { id } = (await create.json()) as { id: number };
    expect(gh.violations).to.deep.equal([]);
    // Corrupt the emulator's own state: the response it builds no longer conforms.
    (gh.state.repos[0]!.releases[0] as unknown as { name: number }).name = 42;
    await fetch(`${gh.apiUrl}/repos/o/r/releases/${id}`, { headers });
    expect(gh.violations.join('\n')).to.match(
      /GET \/repos\/o\/r\/releases\/\d+: response 200 body: \/name must be string/,
    );
  });

  it('validateResponse names a missing required field of a release', () => {
    const op = resolveOperation('GET', '/repos/o/r/releases/1')!;
    expect(op.operationId).to.equal('repos/get-release');
    const problems = validateResponse(op, 200, { id: 1, tag_name: 'v1' });
    expect(problems.join('\n')).to.match(/must have required property 'upload_url'/);
  });

  it('an answer with a status the operation does not document is recorded', () => {
    const op = resolveOperation('POST', '/repos/o/r/git/refs')!;
    expect(validateResponse(op, 200, {})).to.deep.equal([
      'status 200 is not a documented response of git/create-ref',
    ]);
  });

  it('an upload without Content-Length (chunked) is recorded: uploads.github.com needs the length', async () => {
    const create = await fetch(`${gh.apiUrl}/repos/o/r/releases`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ tag_name: 'v1', draft: true }),
    });
    const { id } = (await create.json()) as { id: number };
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('chunked bytes'));
        c.close();
      },
    });
    await fetch(`${gh.uploadsUrl}/repos/o/r/releases/${id}/assets?name=a.bin`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    });
    expect(gh.violations.join('\n')).to.match(/uploads need an explicit Content-Length/);
  });
});
