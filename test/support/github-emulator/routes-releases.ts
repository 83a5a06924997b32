/** Release routes: list (paginated), get by id / tag / latest, create, update, delete, generate-notes. */
import { type Handler, type RouteContext, bool, str } from './context.js';
import { forbidden, notFound, paginate, validationFailed } from './http.js';
import { applyMakeLatest, guardTagFree, publish, recomputeLegacyLatest, validTagName } from './releases.js';
import { releaseJson } from './render.js';
import { type EmuRelease, nowIso } from './state.js';

function visible(ctx: RouteContext): EmuRelease[] {
  // Newest first, drafts only for callers with push access.
  return [...ctx.repo.releases].reverse().filter((r) => ctx.authed || !r.draft);
}

function byId(ctx: RouteContext): EmuRelease {
  const release = ctx.state.findRelease(ctx.repo, Number(ctx.params.release_id));
  if (!release || (release.draft && !ctx.authed)) throw notFound();
  return release;
}

function notes(ctx: RouteContext, tag: string, target: string | undefined, previous: string | undefined) {
  const { repo, state, urls } = ctx;
  const head = state.tagCommit(repo, tag) ?? state.resolveCommitish(repo, target ?? repo.defaultBranch);
  if (head === undefined) throw validationFailed('Release', 'invalid', 'target_commitish');
  const prevTag =
    previous ??
    [...repo.releases]
      .reverse()
      .find((r) => !r.draft && r.tagName !== tag && state.tagCommit(repo, r.tagName))?.tagName;
  const prevSha = prevTag === undefined ? undefined : state.tagCommit(repo, prevTag);
  if (prevTag !== undefined && prevSha === undefined) throw notFound();
  const from = prevSha === undefined ? 0 : repo.commits.indexOf(prevSha) + 1;
  const commits = repo.commits.slice(from, repo.commits.indexOf(head) + 1);
  const web = `${urls.web}/${repo.owner}/${repo.repo}`;
  const lines = commits.map((c) => `* ${c.slice(0, 7)} by @${repo.owner}`);
  const changelog = prevTag === undefined ? `${web}/commits/${tag}` : `${web}/compare/${prevTag}...${tag}`;
  return {
    name: tag,
    body: `## What's Changed\n${lines.join('\n')}\n\n**Full Changelog**: ${changelog}`,
  };
}

export const releaseRoutes: Record<string, Handler> = {
  'repos/list-releases': (ctx) => {
    const { page, link } = paginate(visible(ctx), ctx.query, ctx.selfUrl);
    return {
      status: 200,
      body: page.map((r) => releaseJson(ctx.urls, ctx.repo, r)),
      ...(link === undefined ? {} : { headers: { link } }),
    };
  },

  'repos/get-release': (ctx) => ({ status: 200, body: releaseJson(ctx.urls, ctx.repo, byId(ctx)) }),

  // GitHub finds only published releases by tag: a draft has no tag yet.
  'repos/get-release-by-tag': (ctx) => {
    const release = ctx.repo.releases.find((r) => !r.draft && r.tagName === ctx.params.tag);
    if (!release) throw notFound();
    return { status: 200, body: releaseJson(ctx.urls, ctx.repo, release) };
  },

  'repos/get-latest-release': (ctx) => {
    const release = ctx.repo.releases.find((r) => r.id === ctx.repo.latestReleaseId);
    if (!release) throw notFound();
    return { status: 200, body: releaseJson(ctx.urls, ctx.repo, release) };
  },

  'repos/create-release': (ctx) => {
    const { repo, state, body } = ctx;
    const tag = str(body.tag_name) ?? '';
    if (!validTagName(tag)) throw validationFailed('Release', 'invalid', 'tag_name');
    const target = str(body.target_commitish) ?? repo.defaultBranch;
    if (state.tagCommit(repo, tag) === undefined && state.resolveCommitish(repo, target) === undefined)
      throw validationFailed('Release', 'invalid', 'target_commitish');
    guardTagFree(repo, tag);
    const now = nowIso();
    let text = str(body.body) ?? null;
    let name = str(body.name) ?? null;
    if (bool(body.generate_release_notes) === true) {
      const generated = notes(ctx, tag, target, undefined);
      text = text === null ? generated.body : `${text}\n\n${generated.body}`;
      name ??= generated.name;
    }
    const release: EmuRelease = {
      id: state.nextId(),
      tagName: tag,
      targetCommitish: target,
      name,
      body: text,
      draft: true,
      prerelease: bool(body.prerelease) ?? false,
      immutable: false,
      createdAt: now,
      publishedAt: null,
      updatedAt: now,
      assets: [],
    };
    if (bool(body.draft) !== true) publish(state, repo, release);
    repo.releases.push(release);
    applyMakeLatest(repo, release, str(body.make_latest));
    const json = releaseJson(ctx.urls, repo, release);
    return { status: 201, body: json, headers: { location: String(json.url) } };
  },

  'repos/update-release': (ctx) => {
    const { repo, state, body } = ctx;
    const release = byId(ctx);
    const tag = str(body.tag_name);
    const target = str(body.target_commitish);
    const draft = bool(body.draft);
    if (
      release.immutable &&
      ((tag !== undefined && tag !== release.tagName) || target !== undefined || draft === true)
    )
      throw forbidden('Cannot change the tag, target or draft state of an immutable release');
    if (tag !== undefined) {
      if (!validTagName(tag)) throw validationFailed('Release', 'invalid', 'tag_name');
      if (!release.draft) guardTagFree(repo, tag, release);
      release.tagName = tag;
    }
    if (target !== undefined) {
      if (state.resolveCommitish(repo, target) === undefined)
        throw validationFailed('Release', 'invalid', 'target_commitish');
      release.targetCommitish = target;
    }
    if (str(body.name) !== undefined) release.name = str(body.name)!;
    if (str(body.body) !== undefined) release.body = str(body.body)!;
    if (bool(body.prerelease) !== undefined) release.prerelease = bool(body.prerelease)!;
    if (draft === false && release.draft) publish(state, repo, release);
    else if (draft === true && !release.draft) {
      release.draft = true;
      release.publishedAt = null;
      if (repo.latestReleaseId === release.id) recomputeLegacyLatest(repo);
    }
    release.updatedAt = nowIso();
    applyMakeLatest(repo, release, str(body.make_latest));
    return { status: 200, body: releaseJson(ctx.urls, repo, release) };
  },

  'repos/delete-release': (ctx) => {
    const release = byId(ctx);
    const { repo } = ctx;
    repo.releases.splice(repo.releases.indexOf(release), 1);
    if (release.immutable) repo.burnedTags.add(release.tagName);
    if (repo.latestReleaseId === release.id) recomputeLegacyLatest(repo);
    return { status: 204 };
  },

  'repos/generate-release-notes': (ctx) => {
    const tag = str(ctx.body.tag_name) ?? '';
    return {
      status: 200,
      body: notes(ctx, tag, str(ctx.body.target_commitish), str(ctx.body.previous_tag_name)),
    };
  },
};
