/** Repository routes: get a repository, read its immutable-releases setting. */
import type { Handler } from './context.js';
import { notFound } from './http.js';
import { repoJson } from './render.js';

export const repoRoutes: Record<string, Handler> = {
  'repos/get': ({ urls, repo }) => ({ status: 200, body: repoJson(urls, repo) }),

  // GitHub answers 404 when the setting is off (and to callers without admin read access).
  'repos/check-immutable-releases': ({ repo }) => {
    if (!repo.immutableReleases) throw notFound();
    return { status: 200, body: { enabled: true, enforced_by_owner: false } };
  },
};
