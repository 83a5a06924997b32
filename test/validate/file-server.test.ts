import { expect } from 'chai';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildResolver } from '../../src/validate/artifacts.js';
import { startFileServer, type FileServer } from '../../src/validate/file-server.js';

function get(port: number, urlPath: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('host file server (what the target downloads)', () => {
  let root: string;
  let store: FileServer;
  let dist: FileServer;
  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'krel-files-'));
    const rel = path.join(root, 'store/kontainapp/km/releases/download/v1.0');
    mkdirSync(path.join(rel, '.assets'), { recursive: true });
    writeFileSync(path.join(rel, 'kontain.tar.gz'), 'published\n');
    writeFileSync(path.join(rel, '.krel-release.json'), '{}');
    mkdirSync(path.join(root, 'store/kontainapp/km/releases/download/.draft-1'), { recursive: true });
    writeFileSync(
      path.join(root, 'store/kontainapp/km/releases/download/.draft-1/kontain.tar.gz'),
      'draft\n',
    );
    mkdirSync(path.join(root, 'dist'));
    writeFileSync(path.join(root, 'dist/kontain.tar.gz'), 'local build\n');
    writeFileSync(path.join(root, 'secret.txt'), 'outside\n');
    writeFileSync(path.join(root, 'install.sh'), 'echo install\n');
    const files = { installScript: path.join(root, 'install.sh') };
    store = await startFileServer(
      buildResolver(
        { kind: 'store', root: path.join(root, 'store'), repo: 'kontainapp/km', tag: 'v1.0' },
        files,
      ),
    );
    dist = await startFileServer(
      buildResolver(
        { kind: 'dist', dir: path.join(root, 'dist'), repo: 'kontainapp/km', tag: 'v0.1-test' },
        files,
      ),
    );
  });
  after(async () => {
    await store?.close();
    await dist?.close();
  });

  it('serves release assets at <owner>/<repo>/releases/download/<tag>/<asset>, the installer and default-release', async () => {
    expect(await get(store.port, '/kontainapp/km/releases/download/v1.0/kontain.tar.gz')).to.deep.equal({
      status: 200,
      body: 'published\n',
    });
    expect((await get(dist.port, '/kontainapp/km/releases/download/v0.1-test/kontain.tar.gz')).body).to.equal(
      'local build\n',
    );
    expect((await get(dist.port, '/default-release')).body).to.equal('v0.1-test\n');
    expect((await get(store.port, '/kontain-install.sh')).body).to.equal('echo install\n');
    expect(
      (await get(dist.port, '/kontainapp/km/releases/download/v0.1-test/kontain.tar.gz', 'HEAD')).status,
    ).to.equal(200);
  });

  it('serves nothing else: other tags, drafts, store metadata, paths that climb out, other methods', async () => {
    const refused = [
      [store.port, '/kontainapp/km/releases/download/v1.0/.krel-release.json'],
      [store.port, '/kontainapp/km/releases/download/.draft-1/kontain.tar.gz'],
      [store.port, '/kontainapp/km/releases/download/v1.0/..%2F..%2F..%2F..%2F..%2Fsecret.txt'],
      [store.port, '/kontainapp/km/releases/download/v1.0/../../../../../secret.txt'],
      [dist.port, '/kontainapp/km/releases/download/v9/kontain.tar.gz'],
      [dist.port, '/kontainapp/km/releases/download/v0.1-test/..%2Fsecret.txt'],
      [dist.port, '/secret.txt'],
    ] as const;
    for (const [port, p] of refused) expect((await get(port, p)).status, p).to.equal(404);
    expect((await get(dist.port, '/default-release', 'POST')).status).to.equal(405);
  });
});
