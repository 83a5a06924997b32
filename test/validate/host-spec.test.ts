import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../src/errors/index.js';
import { parseHostSpec, resolveHostKey } from '../../src/validate/host-spec.js';
import { ensureCommands } from '../support/tools.js';

describe('--host and host key pinning', () => {
  it('user@host[:port] parses, IPv6 in brackets included; anything else is a usage error', () => {
    expect(parseHostSpec('krel@lab.example')).to.deep.equal({
      username: 'krel',
      host: 'lab.example',
      port: 22,
    });
    expect(parseHostSpec('me@10.0.0.5:2222')).to.deep.equal({ username: 'me', host: '10.0.0.5', port: 2222 });
    expect(parseHostSpec('me@[::1]:2200')).to.deep.equal({ username: 'me', host: '::1', port: 2200 });
    for (const bad of ['lab.example', 'me@', 'me@host:0', 'me@host:99999', 'me@host:x']) {
      expect(() => parseHostSpec(bad), bad).to.throw(UsageError);
    }
  });

  it('--known-host-key must be a SHA256 fingerprint', async () => {
    const spec = parseHostSpec('me@h');
    const fp = 'SHA256:' + 'a'.repeat(43);
    expect(await resolveHostKey(spec, { knownHostKey: fp })).to.equal(fp);
    expect(await resolveHostKey(spec, { knownHostKey: fp + '=' })).to.equal(fp);
    const err = await resolveHostKey(spec, { knownHostKey: 'MD5:aa:bb' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
  });

  it('a hashed known_hosts entry (ssh-keygen -H) pins the key, preferring ed25519 over rsa', async () => {
    ensureCommands({ 'ssh-keygen': 'openssh-client' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'krel-kh-'));
    const keys: Record<string, string> = {};
    for (const t of ['rsa', 'ed25519']) {
      execFileSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-f', path.join(dir, t)]);
      keys[t] = readFileSync(path.join(dir, `${t}.pub`), 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ');
    }
    const kh = path.join(dir, 'known_hosts');
    writeFileSync(
      kh,
      `[lab.example]:2222 ${keys.rsa}\n[lab.example]:2222 ${keys.ed25519}\nother ${keys.ed25519}\n`,
    );
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    expect(readFileSync(kh, 'utf8')).to.not.include('lab.example');
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'ed25519.pub')], {
      encoding: 'utf8',
    }).split(' ')[1];
    const spec = parseHostSpec('me@lab.example:2222');
    expect(await resolveHostKey(spec, { knownHostsFile: kh })).to.equal(fp);
    const err = await resolveHostKey(parseHostSpec('me@lab.example'), { knownHostsFile: kh }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).to.match(/no pinned host key for lab\.example:22/);
  });
});
