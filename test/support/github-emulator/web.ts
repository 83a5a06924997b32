/**
 * The github.com side: browser_download_url downloads (no token needed once published; a draft's
 * untagged-<id> URL needs the token) and a minimal release page.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { downloadTag } from './render.js';
import type { EmulatorState } from './state.js';

export function serveWeb(
  state: EmulatorState,
  authed: boolean,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): number {
  const parts = pathname.split('/').slice(1).map(decodeURIComponent);
  const [owner, name, releases, kind, tag, file] = parts;
  const repo = owner !== undefined && name !== undefined ? state.repo(owner, name) : undefined;
  const release = repo?.releases.find((r) => downloadTag(r) === tag && (authed || !r.draft));
  if (req.method === 'GET' && repo && release && releases === 'releases') {
    if (kind === 'download' && parts.length === 6) {
      const asset = release.assets.find((a) => a.name === file && a.state === 'uploaded');
      if (asset?.file !== undefined) {
        asset.downloadCount++;
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(asset.size),
          'content-disposition': `attachment; filename=${asset.name}`,
        });
        createReadStream(asset.file).pipe(res);
        return 200;
      }
    } else if (kind === 'tag' && parts.length === 5) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Release ${release.name ?? release.tagName}</title>\n`);
      return 200;
    }
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('Not Found');
  return 404;
}
