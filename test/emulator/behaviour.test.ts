import { expect } from 'chai';
import { useGitHubEmulator } from '../support/github-emulator/testing.js';
import type { GitHubEmulator } from '../support/github-emulator/index.js';

/** The fields these tests read from GitHub's JSON (an object, or a list of them). */
interface Obj {
  id: number;
  message: string;
  draft: boolean;
  immutable: boolean;
  tag_name: string;
  ref: string;
  errors: { code: string; field: string }[];
}
type Body = Obj & Obj[];

/** A tiny fetch client; token null sends no Authorization header. */
function client(gh: GitHubEmulator, token: string | null = gh.token) {
  return async (method: string, path: string, body?: unknown, base = gh.apiUrl) => {
    const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
    if (token !== null) headers.authorization = `token ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as Body };
  };
}

async function upload(gh: GitHubEmulator, releaseId: number, name: string, data: string) {
  return fetch(`${gh.uploadsUrl}/repos/kontainapp/km/releases/${releaseId}/assets?name=${name}`, {
    method: 'POST',
    headers: { authorization: `token ${gh.token}`, 'content-type': 'application/octet-stream' },
    body: data,
  });
}

describe('the GitHub emulator behaves as GitHub does', () => {
  const emu = useGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km' }] });

  it('a draft is not found by tag, is hidden without a token, and appears by tag once published (which creates the tag)', async () => {
    const { gh } = emu;
    const api = client(gh);
    const anon = client(gh, null);
    const commit = gh.state.repos[0]!.commits[0]!;
    const { json: draft } = await api('POST', '/repos/kontainapp/km/releases', {
      tag_name: 'v1',
      target_commitish: commit,
      draft: true,
    });
    expect((await api('GET', '/repos/kontainapp/km/releases/tags/v1')).status).to.equal(404);
    expect((await anon('GET', '/repos/kontainapp/km/releases')).json).to.deep.equal([]);
    expect((await anon('GET', `/repos/kontainapp/km/releases/${draft.id}`)).status).to.equal(404);
    expect(gh.state.tagCommit(gh.state.repos[0]!, 'v1')).to.equal(undefined);
    const pub = await api('PATCH', `/repos/kontainapp/km/releases/${draft.id}`, { draft: false });
    expect(pub.json).to.include({ draft: false, tag_name: 'v1' });
    expect(gh.state.tagCommit(gh.state.repos[0]!, 'v1')).to.equal(commit);
    expect((await anon('GET', '/repos/kontainapp/km/releases/tags/v1')).status).to.equal(200);
  });

  it('a wrong token gets 401 Bad credentials; a write without a token gets 401', async () => {
    const { gh } = emu;
    const wrong = await client(gh, 'ghp_notTheToken000000000000000000000000')('GET', '/repos/kontainapp/km');
    expect(wrong.status).to.equal(401);
    expect(wrong.json.message).to.equal('Bad credentials');
    const anonWrite = await client(gh, null)('POST', '/repos/kontainapp/km/releases', {
      tag_name: 'v1',
    });
    expect(anonWrite.status).to.equal(401);
    expect(gh.state.repos[0]!.releases).to.deep.equal([]);
  });

  it('a second release of a published tag, or a target commit that does not exist, is refused with 422', async () => {
    const { gh } = emu;
    const api = client(gh);
    await api('POST', '/repos/kontainapp/km/releases', { tag_name: 'v1' });
    const again = await api('POST', '/repos/kontainapp/km/releases', { tag_name: 'v1' });
    expect(again.status).to.equal(422);
    expect(again.json.errors[0]).to.include({ code: 'already_exists', field: 'tag_name' });
    const bad = await api('POST', '/repos/kontainapp/km/releases', {
      tag_name: 'v2',
      target_commitish: 'f'.repeat(40),
    });
    expect(bad.json.errors[0]).to.include({ code: 'invalid', field: 'target_commitish' });
  });

  it('uploads report state, size and sha256 digest; a duplicate name gets 422 already_exists', async () => {
    const { gh } = emu;
    const { json: rel } = await client(gh)('POST', '/repos/kontainapp/km/releases', {
      tag_name: 'v1',
      draft: true,
    });
    const first = await upload(gh, rel.id, 'a.txt', 'hello');
    expect(first.status).to.equal(201);
    expect(await first.json()).to.include({
      state: 'uploaded',
      size: 5,
      digest: 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    });
    const dup = await upload(gh, rel.id, 'a.txt', 'again');
    expect(dup.status).to.equal(422);
    expect(((await dup.json()) as Body).errors[0]).to.include({ code: 'already_exists', field: 'name' });
  });

  it('a published release of an immutable repository is immutable: its assets cannot change and its tag burns', async () => {
    const { gh } = emu;
    gh.state.repos[0]!.immutableReleases = true;
    const api = client(gh);
    const { json: rel } = await api('POST', '/repos/kontainapp/km/releases', { tag_name: 'v1', draft: true });
    const asset = (await (await upload(gh, rel.id, 'a.txt', 'a')).json()) as { id: number };
    expect(
      (await api('PATCH', `/repos/kontainapp/km/releases/${rel.id}`, { draft: false })).json.immutable,
    ).to.equal(true);
    expect((await upload(gh, rel.id, 'b.txt', 'b')).status).to.equal(422);
    expect((await api('DELETE', `/repos/kontainapp/km/releases/assets/${asset.id}`)).status).to.equal(403);
    expect(
      (
        await api('PATCH', '/repos/kontainapp/km/git/refs/tags/v1', {
          sha: gh.state.repos[0]!.commits[0],
          force: true,
        })
      ).status,
    ).to.equal(422);
    expect((await api('GET', '/repos/kontainapp/km/immutable-releases')).json).to.deep.equal({
      enabled: true,
      enforced_by_owner: false,
    });
    expect((await api('DELETE', `/repos/kontainapp/km/releases/${rel.id}`)).status).to.equal(204);
    const reuse = await api('POST', '/repos/kontainapp/km/releases', { tag_name: 'v1' });
    expect(reuse.status).to.equal(422);
  });

  it('refs: create answers 201 with Location, a non-fast-forward update needs force, a missing ref cannot be deleted', async () => {
    const { gh } = emu;
    const api = client(gh);
    const [c1, c2] = gh.state.repos[0]!.commits as [string, string];
    const created = await api('POST', '/repos/kontainapp/km/git/refs', { ref: 'refs/tags/v1', sha: c2 });
    expect(created.status).to.equal(201);
    expect(created.headers.get('location')).to.equal(`${gh.apiUrl}/repos/kontainapp/km/git/refs/tags/v1`);
    expect(
      (await api('POST', '/repos/kontainapp/km/git/refs', { ref: 'refs/tags/v1', sha: c2 })).status,
    ).to.equal(422);
    expect((await api('PATCH', '/repos/kontainapp/km/git/refs/tags/v1', { sha: c1 })).json.message).to.equal(
      'Update is not a fast forward',
    );
    expect(
      (await api('PATCH', '/repos/kontainapp/km/git/refs/tags/v1', { sha: c1, force: true })).status,
    ).to.equal(200);
    expect(
      (await api('GET', '/repos/kontainapp/km/git/matching-refs/tags/v')).json.map((r) => r.ref),
    ).to.deep.equal(['refs/tags/v1']);
    expect((await api('DELETE', '/repos/kontainapp/km/git/refs/tags/v1')).status).to.equal(204);
    expect((await api('DELETE', '/repos/kontainapp/km/git/refs/tags/v1')).status).to.equal(422);
  });

  it('lists paginate with Link headers and every answer carries rate-limit headers', async () => {
    const { gh } = emu;
    const api = client(gh);
    for (let i = 0; i < 5; i++)
      await api('POST', '/repos/kontainapp/km/releases', { tag_name: `v${i}`, draft: true });
    const page1 = await api('GET', '/repos/kontainapp/km/releases?per_page=2');
    expect(page1.json.map((r) => r.tag_name)).to.deep.equal(['v4', 'v3']);
    expect(page1.headers.get('link')).to.include('page=2>; rel="next"').and.include('page=3>; rel="last"');
    const page3 = await api('GET', '/repos/kontainapp/km/releases?per_page=2&page=3');
    expect(page3.json.map((r) => r.tag_name)).to.deep.equal(['v0']);
    expect(page1.headers.get('x-ratelimit-limit')).to.equal('5000');
    expect(Number(page3.headers.get('x-ratelimit-remaining'))).to.be.below(
      Number(page1.headers.get('x-ratelimit-remaining')),
    );
  });

  it('faults fire on the Nth matching request for `times` requests; writes() lists only non-GET requests', async () => {
    const { gh } = emu;
    const api = client(gh);
    const fault = gh.faults.add({ route: 'GET /repos/*/*', nth: 2, times: 2, kind: { status: 502 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('GET', '/repos/kontainapp/km')).status);
    expect(statuses).to.deep.equal([200, 502, 502, 200]);
    expect(fault.fired).to.equal(2);
    expect(gh.writes()).to.deep.equal([]);
    await api('POST', '/repos/kontainapp/km/releases/generate-notes', { tag_name: 'v1' });
    expect(gh.writes().map((r) => r.route)).to.deep.equal(['repos/generate-release-notes']);
  });
});
