/**
 * Every outside program the test suite runs, each with the Debian package that provides it: one table for
 * `.ci/run` (through install-tools.ts) and for the suite's global setup, so the first `npm test` on a fresh
 * machine has everything before any test starts, whatever order the files run in.
 */
export const TEST_TOOLS: Readonly<Record<string, string>> = {
  // real peers
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  'ssh-keyscan': 'openssh-client',
  // the guide run over the test sshd uses sudo and curl
  sudo: 'sudo',
  curl: 'curl',
  // container images: a registry, its htpasswd, and an independent client
  'docker-registry': 'docker-registry',
  htpasswd: 'apache2-utils',
  skopeo: 'skopeo',
  // VM validation
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  mmdebstrap: 'mmdebstrap',
  'mkfs.ext4': 'e2fsprogs',
  setpriv: 'util-linux',
  unshare: 'util-linux',
  // --vm-image: the NoCloud seed, UEFI firmware; the cloud image the tests build (EFI partition, GPT)
  mformat: 'mtools',
  mcopy: 'mtools',
  mmd: 'mtools',
  '/usr/share/OVMF/OVMF_CODE_4M.fd': 'ovmf',
  'mkfs.vfat': 'dosfstools',
  sfdisk: 'fdisk',
  // independent readers and verifiers
  tar: 'tar',
  gzip: 'gzip',
  python3: 'python3',
  openssl: 'openssl',
  xmllint: 'libxml2-utils',
  shellcheck: 'shellcheck',
  git: 'git',
  time: 'time',
};
