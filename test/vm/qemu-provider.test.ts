/**
 * The qemu provider against a real VM: the cached Debian image boots, the system OpenSSH client logs in with the
 * generated key while checking the host key krel pinned (StrictHostKeyChecking=yes), the guest is set up as
 * promised, and dispose() leaves no qemu process and no run directory behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { knownHostsLine } from '../../src/vm/ssh-keys.js';
import { provisionQemu, type QemuTarget } from '../../src/vm/qemu-provider.js';
import {
  BOOT_TIMEOUT_MS,
  IMAGE_TIMEOUT_MS,
  pathGone,
  recordingLogger,
  startHostHttpServer,
  testImage,
  waitFor,
  waitGone,
} from '../support/vm.js';

interface SshResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ssh asynchronously (a server in this process must be able to answer meanwhile). */
function ssh(t: QemuTarget, knownHosts: string, command: string): Promise<SshResult> {
  const child = spawn(
    'ssh',
    [
      '-i',
      t.identityFile,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'ConnectTimeout=20',
      '-p',
      String(t.endpoint.port),
      `${t.endpoint.username}@${t.endpoint.host}`,
      command,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function fingerprintOfPublicKey(file: string): string {
  const out = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).stdout;
  return /SHA256:\S+/.exec(out)?.[0] ?? '';
}

describe('vm/qemu provider (real VM)', function () {
  this.timeout(IMAGE_TIMEOUT_MS + BOOT_TIMEOUT_MS);
  let target: QemuTarget;
  let scratch: string;
  const log = recordingLogger();

  before(async function () {
    await testImage();
    scratch = await mkdtemp(path.join(tmpdir(), 'krel-vm-test-'));
    // The cold boot path (--cold-boot); restored VMs are test/vm/snapshot.test.ts's.
    target = await provisionQemu({ logger: log.logger, coldBoot: true });
  });

  after(async function () {
    await target?.dispose();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('boots the cached image with an injected host key whose fingerprint krel pinned in advance', function () {
    const hostPub = path.join(target.runDir, 'host_ed25519.pub');
    expect(target.endpoint.hostKeyFingerprint).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprintOfPublicKey(hostPub)).to.equal(target.endpoint.hostKeyFingerprint);
    // What the guest's sshd really presents, read off the wire.
    const scan = spawnSync(
      'ssh-keyscan',
      ['-T', '20', '-t', 'ed25519', '-p', String(target.endpoint.port), '127.0.0.1'],
      {
        encoding: 'utf8',
      },
    );
    const line = scan.stdout.split('\n').find((l) => l.includes('ssh-ed25519'));
    expect(line, `ssh-keyscan: ${scan.stderr}`).to.be.a('string');
    const scanned = path.join(scratch, 'scanned.pub');
    writeFileSync(scanned, line!.split(' ').slice(1).join(' ') + '\n');
    expect(fingerprintOfPublicKey(scanned)).to.equal(target.endpoint.hostKeyFingerprint);
    expect(target.details.accelerator).to.be.oneOf(['kvm', 'tcg']);
    expect(target.details.image).to.include('bookworm');
    expect(target.start).to.equal('cold boot');
    expect(target.details.start).to.equal('cold boot');
    expect(log.lines.join('\n')).to.include('booting debian-12: cold boot (');
  });

  it('the system ssh client logs in as krel with StrictHostKeyChecking against a known_hosts line built from the injected key', async function () {
    const known = path.join(scratch, 'known_hosts');
    const hostPub = readFileSync(path.join(target.runDir, 'host_ed25519.pub'), 'utf8').trim();
    writeFileSync(known, knownHostsLine('127.0.0.1', target.endpoint.port, hostPub) + '\n');
    const r = await ssh(target, known, 'uname -a; id -un; sudo -n true && echo SUDO-OK');
    expect(r.status, r.stderr).to.equal(0);
    const [uname, user, sudo] = r.stdout.trim().split('\n');
    expect(uname).to.match(/^Linux krel-guest .*x86_64/);
    expect(user).to.equal('krel');
    expect(sudo).to.equal('SUDO-OK');
  });

  it('refuses a connection whose known host key differs (the host key is pinned, never accepted blindly)', async function () {
    const other = path.join(scratch, 'other');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrong = path.join(scratch, 'wrong_known_hosts');
    writeFileSync(
      wrong,
      knownHostsLine('127.0.0.1', target.endpoint.port, readFileSync(`${other}.pub`, 'utf8')) + '\n',
    );
    const r = await ssh(target, wrong, 'true');
    expect(r.status).to.equal(255);
    expect(r.stderr).to.match(/host key|HOST IDENTIFICATION/i);
  });

  it('the enter command printed for --keep opens a session with the pinned key', function () {
    const r = spawnSync('sh', ['-c', `${target.enterCommand} -o BatchMode=yes whoami`], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('krel');
  });

  it('the guest network is restricted by default: a server on the host is not reachable from the guest', async function () {
    const server = await startHostHttpServer();
    try {
      const r = await ssh(
        target,
        target.knownHostsFile,
        `curl -sS -m 10 http://10.0.2.2:${server.port}/ 2>&1; echo rc=$?`,
      );
      expect(r.stdout).to.not.include('krel-host-ok');
      expect(r.stdout).to.match(/rc=[1-9]/);
    } finally {
      await server.close();
    }
  });

  it('consoleTail shows the serial console (kernel and systemd boot lines) and the guest network report', async function () {
    const tail = target.consoleTail(400);
    expect(tail).to.include('krel-guest: ssh host key');
    expect(tail).to.not.include('\u001b['); // escape sequences removed
    await waitFor(
      () => target.consoleTail(400).includes('krel-guest: network after'),
      60_000,
      'the guest network report on the console',
    );
    expect(target.consoleTail(400)).to.match(/krel-guest: network after \d+s: .*10\.0\.2\.15\/24/);
  });

  it('dispose() stops qemu and removes the overlay and the run directory; a second dispose is harmless', async function () {
    const { pid, overlay, runDir } = target;
    expect(pathGone(overlay)).to.equal(false);
    await target.dispose();
    expect(await waitGone(pid), `qemu ${pid} still running`).to.equal(true);
    expect(pathGone(overlay)).to.equal(true);
    expect(pathGone(runDir)).to.equal(true);
    await target.dispose();
    expect(target.gone.aborted).to.equal(false); // disposed on purpose, not died
    expect(target.consoleTail(400)).to.include('Linux version'); // still available after dispose
  });
});
