import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  CHACHA20_FIRST,
  connect,
  exec,
  forwardIn,
  HostKeyMismatchError,
  lookupKnownHost,
  putFile,
  shellQuote,
  waitForSsh,
} from '../../src/ssh/index.js';
import { useSshdConnection } from '../support/ssh-connection.js';

describe('ssh layer against a real sshd', function () {
  this.timeout(60_000);
  const peer = useSshdConnection();

  it('exec streams stdout and stderr as they are written and reports the exit code', async () => {
    const events: string[] = [];
    const started = Date.now();
    const r = await exec(peer.conn, 'echo one; sleep 1; echo two >&2; exit 3', {
      onStdout: (d) => events.push(`out@${Date.now() - started}:${d.toString().trim()}`),
      onStderr: (d) => events.push(`err@${Date.now() - started}:${d.toString().trim()}`),
    });
    expect(r.exitCode).to.equal(3);
    expect(r.timedOut).to.equal(false);
    expect(events).to.have.length(2);
    const [first, second] = events.map((e) => Number(/@(\d+)/.exec(e)![1]));
    expect(events[0]).to.match(/^out@\d+:one$/);
    expect(events[1]).to.match(/^err@\d+:two$/);
    // Streamed, not buffered until exit: "one" arrived about the sleep's length before "two", whatever the load.
    expect(second! - first!).to.be.at.least(500);
  });

  it('offers the endpoint ciphers in its order: a guest without AES instructions gets ChaCha20-Poly1305', async () => {
    const chacha = await connect({ ...peer.sshd.endpoint, ciphers: CHACHA20_FIRST });
    chacha.close();
    expect(chacha.cipher).to.equal('chacha20-poly1305@openssh.com');
    // Without a list, ssh2's default order (AES-GCM first) decides.
    expect(peer.conn.cipher).to.match(/^aes\d+-gcm/);
  });

  it('exec exports env values verbatim, however they are quoted', async () => {
    let out = '';
    const tricky = `it's "quoted" $HOME \`x\` \\ ;`;
    const r = await exec(peer.conn, 'printf %s "$KREL_X"', {
      env: { KREL_X: tricky },
      onStdout: (d) => (out += d.toString()),
    });
    expect(r.exitCode).to.equal(0);
    expect(out).to.equal(tricky);
  });

  it('exec stops a command at its timeout and says it timed out', async () => {
    const r = await exec(peer.conn, 'sleep 30', { timeoutMs: 700 });
    expect(r.timedOut).to.equal(true);
    expect(r.durationMs).to.be.below(5000);
  });

  it('exec stops when the abort signal fires', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await exec(peer.conn, 'sleep 30', { signal: ac.signal });
    expect(r.aborted).to.equal(true);
    expect(r.durationMs).to.be.below(5000);
  });

  it('shellQuote keeps any string one word', async () => {
    let out = '';
    const word = `a b'c"d$e\n`;
    await exec(peer.conn, `printf %s ${shellQuote(word)}`, { onStdout: (d) => (out += d.toString()) });
    expect(out).to.equal(word);
  });

  it('putFile copies a file to the target with the requested mode', async () => {
    const local = path.join(mkdtempSync(path.join(os.tmpdir(), 'krel-put-')), 'f.sh');
    writeFileSync(local, '#!/bin/sh\necho staged\n');
    const remote = path.join(peer.sshd.dir, 'staged.sh');
    await putFile(peer.conn, local, remote, { mode: 0o755 });
    let out = '';
    const r = await exec(peer.conn, shellQuote(remote), { onStdout: (d) => (out += d.toString()) });
    expect(r.exitCode).to.equal(0);
    expect(out.trim()).to.equal('staged');
  });

  it('a reverse forward lets the target reach a server on the host 127.0.0.1', async () => {
    const server = http.createServer((_req, res) => res.end('from the host\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const fwd = await forwardIn(peer.conn, (server.address() as AddressInfo).port);
    try {
      expect(fwd.remotePort).to.be.above(0);
      let out = '';
      const r = await exec(peer.conn, `curl -fsS http://127.0.0.1:${fwd.remotePort}/x`, {
        onStdout: (d) => (out += d.toString()),
      });
      expect(r.exitCode).to.equal(0);
      expect(out).to.equal('from the host\n');
    } finally {
      await fwd.close();
      server.close();
    }
  });

  it('a host key other than the pinned one is refused, naming both fingerprints', async () => {
    const err = await connect({ ...peer.sshd.endpoint, hostKeyFingerprint: peer.sshd.otherFingerprint }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HostKeyMismatchError);
    const msg = (err as Error).message;
    expect(msg).to.include(peer.sshd.otherFingerprint);
    expect(msg).to.include(peer.sshd.hostKeyFingerprint);
  });

  it('waitForSsh does not retry a refused host key', async () => {
    let attempts = 0;
    const err = await waitForSsh(
      { ...peer.sshd.endpoint, hostKeyFingerprint: peer.sshd.otherFingerprint },
      { deadline: Date.now() + 20_000, onAttempt: () => attempts++ },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HostKeyMismatchError);
    expect(attempts).to.equal(0);
  });

  it('waitForSsh gives up on a key the server keeps refusing instead of waiting for the deadline', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'krel-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k')]);
    const started = Date.now();
    const err = await waitForSsh(
      { ...peer.sshd.endpoint, privateKey: readFileSync(path.join(dir, 'k')) },
      { deadline: Date.now() + 60_000, intervalMs: 100 },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.match(/refused the key/);
    expect(Date.now() - started).to.be.below(20_000);
  });

  it('waitForSsh retries a closed port and stops as soon as the target is gone', async () => {
    const gone = new AbortController();
    let attempts = 0;
    setTimeout(() => gone.abort(new Error('qemu exited')), 1500);
    const started = Date.now();
    const err = await waitForSsh(
      { ...peer.sshd.endpoint, port: 1 },
      { deadline: Date.now() + 60_000, signal: gone.signal, intervalMs: 200, onAttempt: () => attempts++ },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.match(/qemu exited/);
    expect(attempts).to.be.above(1);
    expect(Date.now() - started).to.be.below(5000);
  });

  it('known_hosts lookup finds the [host]:port entry and its fingerprint', () => {
    const kh = `# comment\nother.example ssh-ed25519 AAAA\n${peer.sshd.knownHostsLine}\n`;
    const k = lookupKnownHost(kh, '127.0.0.1', peer.sshd.port);
    expect(k?.fingerprint).to.equal(peer.sshd.hostKeyFingerprint);
    expect(lookupKnownHost(kh, '127.0.0.1', 22)).to.equal(undefined);
  });
});
