/**
 * A real Docker registry (Debian's docker-registry, distribution 2.x) on 127.0.0.1 for tests: a free port,
 * htpasswd (bcrypt) authentication, deletes enabled, storage and access log in a temp dir. The access log
 * is how tests count requests (e.g. blob uploads). skopeo is the independent client beside krel.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { ensureCommands } from './tools.js';

export interface Registry {
  readonly port: number;
  /** 127.0.0.1:PORT */
  readonly host: string;
  readonly user: string;
  readonly password: string;
  readonly dir: string;
  /** A containers-auth.json (REGISTRY_AUTH_FILE) holding the credentials. */
  readonly authFile: string;
  /** Access-log lines so far: "METHOD /path?query STATUS". */
  requests(): string[];
  /** `skopeo SUBCOMMAND ...` with the registry's credentials (--authfile) and no TLS; returns stdout. */
  skopeo(args: string[]): string;
  stop(): Promise<void>;
}

async function waitReady(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not listen on ${port}: ${log()}`);
}

export async function startRegistry(user = 'krel-ci', password = 'pa55-w0rd-registry'): Promise<Registry> {
  ensureCommands({ 'docker-registry': 'docker-registry', htpasswd: 'apache2-utils', skopeo: 'skopeo' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'krel-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    path.join(dir, 'htpasswd'),
    execFileSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' }),
  );
  writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: false',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      'auth:',
      '  htpasswd:',
      '    realm: krel-test',
      `    path: ${path.join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const authFile = path.join(dir, 'auth.json');
  writeFileSync(
    authFile,
    JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }),
  );
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  await waitReady(port, child, () => log);
  const ACCESS = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3})/;
  return {
    port,
    host,
    user,
    password,
    dir,
    authFile,
    requests: () =>
      log
        .split('\n')
        .map((l) => ACCESS.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1]} ${m[2]} ${m[3]}`),
    skopeo: (args) => {
      const [sub, ...rest] = args;
      const tls =
        sub === 'copy' ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : ['--tls-verify=false'];
      return execFileSync('skopeo', [sub!, '--authfile', authFile, ...tls, ...rest], { encoding: 'utf8' });
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
