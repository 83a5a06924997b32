/**
 * In a fresh Debian VM (the cached guest image, which ships openssl), the install script refuses a release whose
 * signature does not verify, leaving /opt/kontain untouched, and installs one that does: `krel validate --vm`
 * runs a guide that does both against a dist/ made and signed by `krel make`.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidationReport } from '../../src/validate/report.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { makeKey } from '../support/signing-keys.js';
import { BOOT_TIMEOUT_MS, IMAGE_TIMEOUT_MS, testImage } from '../support/vm.js';

const CONFIG = path.join(REPO_ROOT, 'examples/kontain/krel.json');

/** The guide run in the VM: the public key is written by the guide itself, as a user would save it. */
function guide(publicKeyPem: string): string {
  return `# Signed install

<!-- krel: name="Download the installer and save the public key" -->

\`\`\`bash
curl -fsSL "$KONTAIN_RELEASES_REPO_URL/kontain-install.sh" -o kontain-install.sh
cat > kontain-release.pub <<'KEY'
${publicKeyPem.trim()}
KEY
openssl version
\`\`\`

<!-- krel: name="A release with a flipped signature byte is refused" expect="refused with exit 3, /opt/kontain untouched" -->

\`\`\`bash
mkdir -p "$HOME/rel"
for f in SHA256SUMS SHA256SUMS.sig kontain.tar.gz; do
  curl -fsSL "$KONTAIN_RELEASE_URL/$RELEASE_TAG/$f" -o "$HOME/rel/$f"
done
b=$(od -An -tu1 -N1 "$HOME/rel/SHA256SUMS.sig" | tr -d ' ')
printf "\\\\$(printf '%03o' $(((b + 1) % 256)))" | dd of="$HOME/rel/SHA256SUMS.sig" bs=1 count=1 conv=notrunc status=none
sudo mkdir -p /opt/kontain
sudo chown "$(id -u):$(id -g)" /opt/kontain
rc=0
KONTAIN_PUBKEY="$HOME/kontain-release.pub" bash "$HOME/kontain-install.sh" "file://$HOME/rel" || rc=$?
test "$rc" -eq 3
test -z "$(ls -A /opt/kontain)"
echo "refused with exit $rc, /opt/kontain untouched"
\`\`\`

<!-- krel: name="The signed release installs" expect="Signature of SHA256SUMS verified" -->

\`\`\`bash
cd "$HOME"
KONTAIN_PUBKEY="$HOME/kontain-release.pub" bash kontain-install.sh
\`\`\`

<!-- krel: expect="Hello World" -->

\`\`\`bash
/opt/kontain/bin/km /opt/kontain/tests/hello_test.km Hello World
\`\`\`
`;
}

describe('kontain-install.sh in a VM: signed releases (openssl in the guest)', function () {
  this.timeout(IMAGE_TIMEOUT_MS + BOOT_TIMEOUT_MS + 10 * 60_000);
  let work: string;

  before(async () => {
    await testImage();
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-install-sig-vm-'));
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a release whose signature does not verify (exit 3, prefix untouched) and installs one that does', async () => {
    const key = makeKey(work, 'ed25519');
    const dist = path.join(work, 'dist');
    const made = await runKrel(['make', '--config', CONFIG, '--out', dist], { env: { KREL_SIGNING_KEY: key.file } });
    expect(made.code, made.stderr).to.equal(0);
    const doc = path.join(work, 'Signed.md');
    writeFileSync(doc, guide(readFileSync(key.pub, 'utf8')));
    const r = await runKrel(['validate', '--config', CONFIG, '--dist', dist, '--doc', doc, '--vm', 'debian-12', '--json'], {
      timeoutMs: BOOT_TIMEOUT_MS + 8 * 60_000,
    });
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ValidationReport;
    const steps = report.targets[0]!.steps;
    expect(steps.map((s) => s.status)).to.deep.equal(['passed', 'passed', 'passed', 'passed']);
    expect(r.stderr).to.match(/error: the signature of SHA256SUMS of release file:\/\/.* does not verify with/);
    expect(r.stderr).to.include('refused with exit 3, /opt/kontain untouched');
    expect(r.stderr).to.match(/Signature of SHA256SUMS verified with \/.*kontain-release\.pub/);
    expect(r.stderr).to.include('Hello World');
  });
});
