/** Registry credentials (env, REGISTRY_AUTH_FILE, docker config), challenges, names and templates. */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePullRef, parseRegistry } from '../../src/images/names.js';
import { findCredentials, parseChallenge } from '../../src/images/registry-auth.js';
import { expandTemplate } from '../../src/images/template.js';
import { clearSecrets, redact } from '../../src/log/redact.js';

describe('images: credentials, challenges, names', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'krel-auth-'))));
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    clearSecrets();
  });

  const authFile = (name: string, auths: Record<string, unknown>): string => {
    const f = path.join(dir, name);
    writeFileSync(f, JSON.stringify({ auths }));
    return f;
  };
  const b64 = (s: string): string => Buffer.from(s).toString('base64');

  it('KREL_REGISTRY_USER/PASSWORD win over REGISTRY_AUTH_FILE, which wins over ~/.docker/config.json', async () => {
    const file = authFile('auth.json', { 'reg.example:5000': { auth: b64('file-user:file-secret') } });
    mkdirSync(path.join(dir, '.docker'));
    authFile('.docker/config.json', {
      'reg.example:5000': { username: 'docker-user', password: 'docker-secret' },
    });
    const env = {
      HOME: dir,
      REGISTRY_AUTH_FILE: file,
      KREL_REGISTRY_USER: 'env-user',
      KREL_REGISTRY_PASSWORD: 'env-secret',
    };
    expect(await findCredentials('reg.example:5000', env)).to.include({
      username: 'env-user',
      password: 'env-secret',
    });
    delete (env as Partial<typeof env>).KREL_REGISTRY_USER;
    expect(await findCredentials('reg.example:5000', env)).to.include({
      username: 'file-user',
      password: 'file-secret',
    });
    delete (env as Partial<typeof env>).REGISTRY_AUTH_FILE;
    expect(await findCredentials('reg.example:5000', env)).to.include({
      username: 'docker-user',
      password: 'docker-secret',
    });
    expect(await findCredentials('other.example', env)).to.equal(undefined);
  });

  it('docker.io credentials stored under https://index.docker.io/v1/ are found, and every secret is redacted', async () => {
    const file = authFile('auth.json', {
      'https://index.docker.io/v1/': { auth: b64('kontain:hub-secret-1') },
    });
    const c = await findCredentials('docker.io', { REGISTRY_AUTH_FILE: file });
    expect(c).to.include({ username: 'kontain', password: 'hub-secret-1', from: file });
    expect(redact(`pw hub-secret-1 auth ${b64('kontain:hub-secret-1')}`)).to.equal('pw *** auth ***');
  });

  it('a REGISTRY_AUTH_FILE that is missing or not JSON is a usage error naming the file', async () => {
    const missing = path.join(dir, 'nope.json');
    await findCredentials('h:1', { REGISTRY_AUTH_FILE: missing }).then(
      () => expect.fail('no error'),
      (e: Error) => expect(e.message).to.include(`cannot read registry credentials ${missing}`),
    );
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{');
    await findCredentials('h:1', { REGISTRY_AUTH_FILE: bad }).then(
      () => expect.fail('no error'),
      (e: Error) =>
        expect(e.message).to.equal(`${bad}: not valid JSON: fix it or point REGISTRY_AUTH_FILE elsewhere`),
    );
  });

  it('WWW-Authenticate challenges parse: Bearer with quoted commas, Basic, token68-free params', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:kontainapp/runenv-python:pull,push"',
      ),
    ).to.deep.equal({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:kontainapp/runenv-python:pull,push',
      },
    });
    expect(parseChallenge('Basic realm="krel \\"test\\""')).to.deep.equal({
      scheme: 'basic',
      params: { realm: 'krel "test"' },
    });
    expect(parseChallenge(undefined)).to.equal(undefined);
  });

  it('registries and references are checked, never renamed', () => {
    expect(parseRegistry('127.0.0.1:5000/kontainapp')).to.include({
      kind: 'registry',
      host: '127.0.0.1:5000',
      namespace: 'kontainapp',
    });
    expect(parseRegistry('docker.io/kontainapp')).to.include({ host: 'docker.io', namespace: 'kontainapp' });
    expect(parseRegistry('oci:/tmp/x')).to.include({ kind: 'layout', path: '/tmp/x' });
    for (const bad of ['kontainapp', 'Docker.io/Kontain App', 'host:5000/UPPER', 'oci:'])
      expect(() => parseRegistry(bad), bad).to.throw(/--registry/);
    expect(parsePullRef('127.0.0.1:5000/upstream/python3:1.2')).to.deep.include({
      repo: 'upstream/python3',
      ref: '1.2',
    });
    expect(parsePullRef('localhost:5000/python')).to.deep.include({ repo: 'python', ref: 'latest' });
    expect(parsePullRef('oci:/s:kontain/x:1')).to.deep.include({ repo: 'kontain/x', ref: '1' });
    expect(() => parsePullRef('python:3.7')).to.throw(/names no registry/);
    expect(() => parsePullRef('h:1/a:b#c')).to.throw(/not an image reference/);
  });

  it('templates expand known keys and refuse unknown ones', () => {
    const vars = new Map([
      ['commit', 'abc'],
      ['runenv-python.ref', 'kontain/runenv-python:latest'],
    ]);
    expect(expandTemplate('{runenv-python.ref}@{commit}', vars, 'x')).to.equal(
      'kontain/runenv-python:latest@abc',
    );
    expect(() => expandTemplate('{runenv-node.ref}', vars, 'images[1].base')).to.throw(
      /^images\[1\]\.base: unknown template "\{runenv-node\.ref\}"/,
    );
  });
});
