/** Release asset routes: list (paginated), get, update (name/label), delete. Uploads live in uploads.ts. */
import { rm } from 'node:fs/promises';
import { type Handler, type RouteContext, str } from './context.js';
import { forbidden, notFound, paginate, unprocessable } from './http.js';
import { assetJson } from './render.js';
import { nowIso } from './state.js';

function assetOf(ctx: RouteContext) {
  const found = ctx.state.findAsset(ctx.repo, Number(ctx.params.asset_id));
  if (!found || (found.release.draft && !ctx.authed)) throw notFound();
  return found;
}

export const assetRoutes: Record<string, Handler> = {
  'repos/list-release-assets': (ctx) => {
    const release = ctx.state.findRelease(ctx.repo, Number(ctx.params.release_id));
    if (!release || (release.draft && !ctx.authed)) throw notFound();
    const { page, link } = paginate(release.assets, ctx.query, ctx.selfUrl);
    return {
      status: 200,
      body: page.map((a) => assetJson(ctx.urls, ctx.repo, release, a)),
      ...(link === undefined ? {} : { headers: { link } }),
    };
  },

  'repos/get-release-asset': (ctx) => {
    const { release, asset } = assetOf(ctx);
    return { status: 200, body: assetJson(ctx.urls, ctx.repo, release, asset) };
  },

  'repos/update-release-asset': (ctx) => {
    const { release, asset } = assetOf(ctx);
    if (release.immutable) throw forbidden('Cannot modify an asset of an immutable release');
    const name = str(ctx.body.name);
    if (name !== undefined && name !== asset.name && release.assets.some((a) => a.name === name))
      throw unprocessable('An asset with this name already exists');
    if (name !== undefined) asset.name = name;
    if (str(ctx.body.label) !== undefined) asset.label = str(ctx.body.label)!;
    asset.updatedAt = nowIso();
    return { status: 200, body: assetJson(ctx.urls, ctx.repo, release, asset) };
  },

  'repos/delete-release-asset': async (ctx) => {
    const { release, asset } = assetOf(ctx);
    if (release.immutable) throw forbidden('Cannot delete an asset of an immutable release');
    release.assets.splice(release.assets.indexOf(asset), 1);
    if (asset.file !== undefined) await rm(asset.file, { force: true });
    return { status: 204 };
  },
};
