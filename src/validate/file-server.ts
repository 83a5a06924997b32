/**
 * The host-side file server the target reaches through the SSH reverse forward: release assets laid out as
 * <owner>/<repo>/releases/download/<tag>/<asset> (from dist/ or a local release store), the install script and
 * default-release. Bound to 127.0.0.1 only; files are streamed; nothing outside the mapped files is served.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** Where a URL path is answered from: a file on disk or literal text. */
export type Resolved = { file: string } | { text: string };

export type Resolver = (urlPath: string) => Resolved | undefined;

export interface FileServer {
  readonly port: number;
  /** Requests answered so far, "GET /path 200", for the debug log and tests. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A path inside root, or undefined when the URL tries to leave it. */
export function safeJoin(root: string, urlPath: string): string | undefined {
  const rel = decodeURIComponent(urlPath).replace(/^\/+/, '');
  const full = path.resolve(root, rel);
  return full === root || full.startsWith(root + path.sep) ? full : undefined;
}

export function startFileServer(resolve: Resolver): Promise<FileServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const answer = (code: number, body?: string): void => {
      requests.push(`${req.method} ${urlPath} ${code}`);
      res.writeHead(code, { 'content-type': 'text/plain' }).end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'method not allowed\n');
    let found: Resolved | undefined;
    try {
      found = resolve(urlPath);
    } catch {
      found = undefined;
    }
    if (found === undefined) return answer(404, 'not found\n');
    if ('text' in found) {
      requests.push(`${req.method} ${urlPath} 200`);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(found.text) });
      res.end(req.method === 'HEAD' ? undefined : found.text);
      return;
    }
    const file = found.file;
    stat(file).then(
      (st) => {
        if (!st.isFile()) return answer(404, 'not found\n');
        requests.push(`${req.method} ${urlPath} 200`);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
        if (req.method === 'HEAD') return void res.end();
        const stream = createReadStream(file);
        stream.on('error', () => res.destroy());
        stream.pipe(res);
      },
      () => answer(404, 'not found\n'),
    );
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolvePromise({
        port,
        requests,
        close: () =>
          new Promise<void>((res) => {
            server.closeAllConnections();
            server.close(() => res());
          }),
      });
    });
  });
}
