/**
 * The NoCloud seed of --vm-image: a FAT volume labelled CIDATA (as blkid, which cloud-init's ds-identify uses,
 * reads it) whose user-data a YAML reader (PyYAML, which cloud-init uses) turns into the per-run user, key and
 * host key; each seed has its own instance-id.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newInstanceId, SEED_LABEL, writeNoCloudSeed } from '../../src/vm/nocloud-seed.js';
import { createKeyPair } from '../../src/vm/ssh-keys.js';
import { ensureCommands } from '../support/tools.js';

interface CloudConfig {
  users: { name: string; sudo: string; lock_passwd: boolean; ssh_authorized_keys: string[] }[];
  ssh_pwauth: boolean;
  manage_etc_hosts: boolean;
  ssh_deletekeys: boolean;
  ssh_keys: { ed25519_private: string; ed25519_public: string };
}

describe('vm/nocloud-seed', function () {
  this.timeout(30_000);
  let dir: string;

  before(() => {
    ensureCommands({
      mformat: 'mtools',
      mcopy: 'mtools',
      mtype: 'mtools',
      python3: 'python3',
      blkid: 'util-linux',
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'krel-seed-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const read = (seed: string, name: string): string =>
    execFileSync('mtype', ['-i', seed, `::${name}`], { encoding: 'utf8' });
  const yaml = (text: string): unknown =>
    JSON.parse(
      execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
        input: text,
        encoding: 'utf8',
      }),
    );

  it('is a FAT volume labelled CIDATA whose user-data PyYAML reads as the user krel with the run key and the run host key', async () => {
    const client = await createKeyPair(dir, 'client', 'krel@krel');
    const host = await createKeyPair(dir, 'host', 'krel-guest');
    const seed = path.join(dir, 'seed.img');
    const instanceId = newInstanceId();
    await writeNoCloudSeed(seed, {
      instanceId,
      hostname: 'krel-guest',
      user: 'krel',
      authorizedKey: client.publicKey,
      hostKey: { privateKey: host.privateKey.toString('utf8'), publicKey: host.publicKey },
    });

    const probe = execFileSync('blkid', ['-o', 'export', seed], { encoding: 'utf8' });
    expect(probe).to.match(/^TYPE=vfat$/m);
    expect(probe).to.match(new RegExp(`^LABEL=${SEED_LABEL}$`, 'm'));
    expect(SEED_LABEL.toLowerCase()).to.equal('cidata');
    expect(statSync(seed).mode & 0o077, 'the seed holds a private key: owner only').to.equal(0);

    const userData = read(seed, 'user-data');
    expect(userData.startsWith('#cloud-config\n')).to.equal(true);
    const config = yaml(userData) as CloudConfig;
    expect(config.users.map((u) => u.name)).to.deep.equal(['krel']);
    expect(config.users[0]!.ssh_authorized_keys).to.deep.equal([client.publicKey]);
    expect(config.users[0]!.sudo).to.equal('ALL=(ALL) NOPASSWD:ALL');
    expect(config.users[0]!.lock_passwd).to.equal(true);
    expect(config.ssh_pwauth).to.equal(false);
    expect(config.manage_etc_hosts).to.equal(true);
    expect(config.ssh_keys.ed25519_private).to.equal(host.privateKey.toString('utf8'));
    expect(config.ssh_keys.ed25519_public).to.equal(host.publicKey);
    expect(Object.keys(config.ssh_keys), 'no host key but the pinned one').to.deep.equal([
      'ed25519_private',
      'ed25519_public',
    ]);
    expect(config.ssh_deletekeys).to.equal(true);

    const meta = yaml(read(seed, 'meta-data')) as Record<string, string>;
    expect(meta).to.deep.equal({ 'instance-id': instanceId, 'local-hostname': 'krel-guest' });
    expect(readdirNames(seed)).to.deep.equal(['meta-data', 'user-data']);
    expect(
      execFileSync('ls', ['-A', dir], { encoding: 'utf8' })
        .split('\n')
        .filter((f) => f.startsWith('.seed-')),
      'no scratch file is left beside the seed',
    ).to.deep.equal([]);
  });

  it('each run has its own instance-id, so cloud-init applies the new keys on every boot of the image', function () {
    const ids = new Set(Array.from({ length: 20 }, () => newInstanceId()));
    expect(ids.size).to.equal(20);
    for (const id of ids) expect(id).to.match(/^krel-[0-9a-f]{16}$/);
  });
});

function readdirNames(seed: string): string[] {
  return execFileSync('mdir', ['-b', '-i', seed, '::'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().replace(/^::\//, ''))
    .filter((l) => l !== '')
    .sort();
}
