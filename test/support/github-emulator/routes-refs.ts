/** Git reference routes: get, list matching, create, update (force), delete. */
import { type Handler, type RouteContext, bool, str } from './context.js';
import { notFound, unprocessable } from './http.js';
import { refJson } from './render.js';

/** A tag an immutable release stands on cannot move or go away. */
function guardImmutableTag({ repo }: RouteContext, ref: string): void {
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
  if (tag !== undefined && repo.releases.some((r) => r.tagName === tag && r.immutable))
    throw unprocessable(`Cannot change the tag ${tag}: it belongs to an immutable release`);
}

export const refRoutes: Record<string, Handler> = {
  'git/get-ref': ({ urls, repo, params }) => {
    const ref = `refs/${params.ref}`;
    const sha = repo.refs.get(ref);
    if (sha === undefined) throw notFound();
    return { status: 200, body: refJson(urls, repo, ref, sha) };
  },

  'git/list-matching-refs': ({ urls, repo, params }) => {
    const prefix = `refs/${params.ref}`;
    const refs = [...repo.refs].filter(([r]) => r.startsWith(prefix)).sort(([a], [b]) => a.localeCompare(b));
    return { status: 200, body: refs.map(([r, sha]) => refJson(urls, repo, r, sha)) };
  },

  'git/create-ref': ({ urls, repo, body }) => {
    const ref = str(body.ref) ?? '';
    const sha = str(body.sha) ?? '';
    if (!/^refs\/[^/]+\/.+/.test(ref))
      throw unprocessable("ref must be formatted as 'refs/...' and contain at least two slashes");
    if (repo.refs.has(ref)) throw unprocessable('Reference already exists');
    if (!repo.commits.includes(sha)) throw unprocessable('Object does not exist');
    repo.refs.set(ref, sha);
    const json = refJson(urls, repo, ref, sha);
    return { status: 201, body: json, headers: { location: String(json.url) } };
  },

  'git/update-ref': (ctx) => {
    const { urls, repo, params, body } = ctx;
    const ref = `refs/${params.ref}`;
    const sha = str(body.sha) ?? '';
    const old = repo.refs.get(ref);
    if (old === undefined) throw unprocessable('Reference does not exist');
    if (!repo.commits.includes(sha)) throw unprocessable('Object does not exist');
    if (old !== sha) guardImmutableTag(ctx, ref);
    if (bool(body.force) !== true && !ctx.state.isFastForward(repo, old, sha))
      throw unprocessable('Update is not a fast forward');
    repo.refs.set(ref, sha);
    return { status: 200, body: refJson(urls, repo, ref, sha) };
  },

  'git/delete-ref': (ctx) => {
    const ref = `refs/${ctx.params.ref}`;
    if (!ctx.repo.refs.has(ref)) throw unprocessable('Reference does not exist');
    guardImmutableTag(ctx, ref);
    ctx.repo.refs.delete(ref);
    return { status: 204 };
  },
};
