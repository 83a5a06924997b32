/**
 * What makes a block of a guide fail before it runs, read from its text (shell-words.ts). Each rule gives
 * findings; `fails` means the block would surely fail where it is going to run (exit 2 from --lint), the others
 * are suspicious and only reported.
 */
import { commandOf, type ShellText, type Word } from './shell-words.js';

export type LintRule =
  'placeholder' | 'interactive' | 'absent-command' | 'network' | 'published-release' | 'unknown-file';

export interface LintFinding {
  rule: LintRule;
  /** The block would surely fail. */
  fails: boolean;
  message: string;
}

export interface LintTargets {
  /** Some target is one of krel's guest VMs (what their images lack is known). */
  vm: boolean;
  /** The VMs have network (--vm-network). */
  network: boolean;
  /** Names of the release's files (assets, the install script): a URL ending in one is a published copy. */
  releaseFiles: string[];
}

/** Commands krel's guest images do not have, and what they would need. */
const ABSENT: Record<string, string> = {
  docker: 'a container engine',
  podman: 'a container engine',
  nerdctl: 'a container engine',
  buildah: 'a container engine',
  faktory: 'Kontain faktory and a container engine',
  kubectl: 'a Kubernetes cluster',
  helm: 'a Kubernetes cluster',
  minikube: 'a Kubernetes cluster',
  kind: 'a Kubernetes cluster',
  k3s: 'a Kubernetes cluster',
  kubeadm: 'a Kubernetes cluster',
  microk8s: 'a Kubernetes cluster',
  az: 'Azure credentials',
  aws: 'AWS credentials',
  gcloud: 'Google Cloud credentials',
  eksctl: 'AWS credentials',
  doctl: 'DigitalOcean credentials',
  terraform: 'cloud credentials',
  vagrant: 'a hypervisor',
  snap: 'snapd',
  brew: 'Homebrew',
};

/** Programs that wait for a person at a terminal. */
const INTERACTIVE = new Set([
  'read',
  'vi',
  'vim',
  'nano',
  'emacs',
  'less',
  'more',
  'top',
  'htop',
  'man',
  'passwd',
]);

/** Package managers and tools that fetch from the internet: command -> subcommands that do. */
const FETCHERS: Record<string, string[]> = {
  'apt-get': ['install', 'update', 'upgrade', 'dist-upgrade'],
  apt: ['install', 'update', 'upgrade'],
  yum: ['install', 'update'],
  dnf: ['install', 'update'],
  pip: ['install', 'download'],
  pip3: ['install', 'download'],
  npm: ['install', 'i', 'ci'],
  go: ['get', 'install'],
  git: ['clone', 'fetch', 'pull'],
  gem: ['install'],
  cargo: ['install'],
};

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const FILE_EXTENSIONS =
  /\.(?:c|cc|cpp|cxx|h|hpp|go|py|js|mjs|ts|java|jar|class|rs|rb|pl|txt|json|ya?ml|toml|ini|conf|cfg|env|sh|km|o|a|so|tar|gz|tgz|xz|zip|md|pem|key|crt|csv|html|war)$/;

/** Words a command writes to, so that a later use of them is not "unknown". */
function outputsOf(name: string, args: readonly Word[]): string[] {
  const out: string[] = [];
  args.forEach((a, k) => {
    const next = args[k + 1]?.text;
    if (next !== undefined && /^(?:-o|-O|--output|--out|-f)$/.test(a.text)) out.push(next);
    const attached = /^(?:-o|>>?|\d>>?|&>)(.+)$/.exec(a.text);
    if (attached !== null) out.push(attached[1]!);
    if (/^(?:>>?|\d>>?|&>)$/.test(a.text) && next !== undefined) out.push(next);
  });
  if (['touch', 'mkdir', 'tee'].includes(name)) out.push(...args.map((a) => a.text));
  if (['cp', 'mv', 'ln', 'install', 'wget'].includes(name) && args.length > 0)
    out.push(args[args.length - 1]!.text);
  return out;
}

function urlsOf(text: ShellText): string[] {
  const all = text.commands.flat().map((w) => w.text);
  // A URL given as the default of a variable krel sets (${KONTAIN_RELEASE_URL:-https://...}) is never used.
  return all
    .filter((w) => !/^\$\{\w+:-/.test(w))
    .flatMap((w) => [...w.matchAll(/https?:\/\/[^\s"'`)<>|;]+/g)].map((m) => m[0]));
}

function hostOf(url: string): string {
  return /^https?:\/\/([^/:?#]+|\[[^\]]+\])/.exec(url)?.[1] ?? '';
}

export function placeholderFindings(text: ShellText): LintFinding[] {
  const found: string[] = [];
  for (const m of text.unquoted.matchAll(/(?<![<\w])<(?![<(&])[^<>\n]+>/g)) found.push(m[0]);
  for (const q of text.quoted) {
    for (const m of q.matchAll(/<(?:[^<>\n]*\s[^<>\n]*|[A-Z][A-Z0-9_-]*)>/g)) found.push(m[0]);
  }
  for (const m of text.unquoted.matchAll(/\b(?:TBD|TODO|FIXME|XXX)\b/g)) {
    if (!found.some((f) => f.includes(m[0]))) found.push(m[0]);
  }
  return [...new Set(found)].map((p) => ({
    rule: 'placeholder' as const,
    fails: true,
    message: `placeholder ${JSON.stringify(p)}`,
  }));
}

export function commandFindings(text: ShellText, targets: LintTargets): LintFinding[] {
  const out: LintFinding[] = [];
  const seen = new Set<string>();
  const once = (f: LintFinding): void => {
    if (seen.has(f.message)) return;
    seen.add(f.message);
    out.push(f);
  };
  for (const words of text.commands) {
    const cmd = commandOf(words);
    if (cmd === undefined) continue;
    const flags = cmd.args.map((a) => a.text);
    const tty = flags.some((f) => /^-[a-zA-Z]*(?:it|ti)[a-zA-Z]*$/.test(f) && !f.startsWith('--'));
    const both = flags.includes('--tty') || (flags.includes('-t') && flags.includes('-i'));
    if ((tty || both) && ['docker', 'podman', 'nerdctl', 'kubectl', 'ctr'].includes(cmd.name)) {
      once({
        rule: 'interactive',
        fails: true,
        message: `interactive: ${cmd.name} ${flags.find((f) => /t/.test(f) && f.startsWith('-')) ?? '-it'} needs a terminal, and steps have none`,
      });
    }
    if (INTERACTIVE.has(cmd.name)) {
      once({
        rule: 'interactive',
        fails: true,
        message: `interactive: ${cmd.name} waits for a person at a terminal`,
      });
    }
    const need = ABSENT[cmd.name];
    if (need !== undefined && targets.vm) {
      once({
        rule: 'absent-command',
        fails: true,
        message: `${cmd.name} is not in krel's guest images (it needs ${need})`,
      });
    }
    const fetch = FETCHERS[cmd.name];
    const sub = flags.find((f) => !f.startsWith('-'));
    if (fetch !== undefined && sub !== undefined && fetch.includes(sub) && targets.vm && !targets.network) {
      once({
        rule: 'network',
        fails: true,
        message: `${cmd.name} ${sub} needs the network, which the VM has only with --vm-network`,
      });
    }
  }
  for (const url of urlsOf(text)) {
    const host = hostOf(url);
    if (LOCAL_HOSTS.has(host)) continue;
    const file =
      url
        .replace(/[?#].*$/, '')
        .split('/')
        .pop() ?? '';
    if (/\/releases\/(?:download|latest)\//.test(url) || targets.releaseFiles.includes(file)) {
      once({
        rule: 'published-release',
        fails: true,
        message: `downloads a published release (${url}), not the one under test: use $KONTAIN_RELEASE_URL or $KONTAIN_RELEASES_REPO_URL`,
      });
    } else if (targets.vm && !targets.network) {
      once({
        rule: 'network',
        fails: true,
        message: `uses ${host}, which the VM can reach only with --vm-network`,
      });
    }
  }
  return out;
}

/**
 * Files a block uses that no earlier step mentions or writes (a build step whose input no block creates).
 * `known` holds what earlier steps mentioned and wrote; it grows with this block.
 */
export function unknownFileFindings(text: ShellText, known: Set<string>, earlierText: string): LintFinding[] {
  const out: LintFinding[] = [];
  for (const words of text.commands) {
    const cmd = commandOf(words);
    if (cmd === undefined) continue;
    const outputs = new Set(outputsOf(cmd.name, cmd.args));
    const candidates = [
      ...(cmd.name.startsWith('./') ? [cmd.name] : []),
      ...cmd.args.map((a) => a.text).filter((t) => !t.startsWith('-')),
    ];
    for (const w of candidates) {
      const file = w.replace(/^\.\//, '');
      const looksLikeFile =
        !/[$*?`=:{}]/.test(w) && !w.startsWith('/') && !w.startsWith('~') && FILE_EXTENSIONS.test(w);
      if (!looksLikeFile || outputs.has(w)) {
        known.add(file);
        continue;
      }
      const base = file.split('/').pop() ?? file;
      if (!known.has(file) && !earlierText.includes(base)) {
        out.push({ rule: 'unknown-file', fails: false, message: `uses ${w}, which no earlier step creates` });
      }
      known.add(file);
    }
    for (const o of outputs) known.add(o.replace(/^\.\//, ''));
  }
  return out;
}
