/**
 * One shell session for a guide, as a reader's terminal is: variables, `cd`, exports and functions set by a
 * step are there in the next. Each step still runs as its own `bash` under timeout(1), so it has its own
 * timeout, exit status and output, and a step that hangs is killed without taking the session with it.
 *
 * The session is a private directory on the target, `${TMPDIR:-/tmp}/krel-session.<id>` (mode 700, the id 128
 * random bits chosen by the host), made by the first step that runs, in its own command: under emulation a
 * separate login for it would cost a round trip and a shell. It holds:
 * - `state.N`: the shell state step N left as it exited (EXIT trap: declare -p of the variables, the functions,
 *   `cd`, umask). A step starts from the newest state of the steps before it that ended on its own (the host names
 *   them, newest first); a killed step's state is never read, so a timed-out step leaves the session as it was.
 *   Only shell builtins move state around: under emulation every extra program a step starts costs time;
 * - `pgids`: the process group of every step, killed when the session closes, so background processes a step
 *   started (a server, `sleep 1000 &`) do not outlive the run.
 * Closing the session kills those groups and removes the directory: the next run starts clean.
 *
 * An isolated step (validate.session "isolated", or the annotation) is a fresh bash in the login directory that
 * neither reads nor writes the state; its process group is still the session's to clean up.
 */
import { shellQuote } from '../ssh/index.js';

/** Bash's own variables and the connection's: never saved, never restored. */
const NOT_STATE = [
  'BASH',
  'BASH_*',
  'BASHOPTS',
  'BASHPID',
  'COLUMNS',
  'COMP_*',
  'DIRSTACK',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'EUID',
  'FUNCNAME',
  'GROUPS',
  'HISTCMD',
  'HOSTNAME',
  'HOSTTYPE',
  'IFS',
  'LINENO',
  'LINES',
  'MACHTYPE',
  'OLDPWD',
  'OPTARG',
  'OPTERR',
  'OPTIND',
  'OSTYPE',
  'PIPESTATUS',
  'PPID',
  'PS4',
  'PWD',
  'RANDOM',
  'SECONDS',
  'SHELLOPTS',
  'SHLVL',
  'SRANDOM',
  'SSH_CLIENT',
  'SSH_CONNECTION',
  'SSH_TTY',
  'UID',
  '_',
  '__krel_*',
].join('|');

/** Writes the state the next step starts from; runs as the step's EXIT trap, never changes its exit status. */
const SAVE = [
  '__krel_save() {',
  "set +euo pipefail; local IFS=$' \\t\\n' __krel_n __krel_a __krel_f;",
  '{ for __krel_n in $(compgen -v); do',
  'case " $__krel_only " in *" $__krel_n "*) continue;; esac;',
  `case $__krel_n in ${NOT_STATE}) continue;; esac;`,
  'declare -p "$__krel_n" 2>/dev/null;',
  'done;',
  'printf \'%s\\n\' "$__krel_keep";',
  'for __krel_f in $(compgen -A function); do case $__krel_f in __krel_*) ;; *) declare -f "$__krel_f";; esac; done;',
  'declare -F | while read -r _ __krel_a __krel_f; do case $__krel_a in *x*) printf \'export -f %s\\n\' "$__krel_f";; esac; done;',
  'printf \'cd -- %q\\n\' "$PWD"; umask -p;',
  '} > "$__krel_s/state.$__krel_i" 2>/dev/null;',
  '}',
].join(' ');

/** Records the step's process group (timeout(1) made one) for the session's close. */
const RECORD_GROUP =
  '{ read -r __krel_st </proc/$$/stat && __krel_st=${__krel_st##*) } && set -- $__krel_st && printf \'%s\\n\' "$3" >>"$__krel_s/pgids"; set --; } 2>/dev/null;';

/**
 * The session directory as a shell word for the target's login shell: its TMPDIR (or /tmp) and the host-chosen
 * id, so every step and the close name the same directory without asking the target first.
 */
export function sessionDir(id: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(id)) throw new Error(`bad session id ${JSON.stringify(id)}`);
  return `"\${TMPDIR:-/tmp}"/krel-session.${id}`;
}

/** Kills what the session's steps left running and removes the session. */
export function closeSessionCommand(dir: string): string {
  return (
    `if [ -f ${dir}/pgids ]; then sort -u ${dir}/pgids | while read -r g; do ` +
    `[ -n "$g" ] && kill -KILL -- "-$g" 2>/dev/null; done; fi; rm -rf -- ${dir}; true`
  );
}

export interface StepShell {
  /** The step's program (step-program.ts). */
  program: string;
  timeoutSec: number;
  /** Printed by the login shell once the step's bash has exited (markers().printExit). */
  afterExit: string;
  /** Exported for this step only. */
  env?: Readonly<Record<string, string>>;
  /**
   * The session; `shared`: the step starts from the session's state and leaves its own as `state.<index>`;
   * `from`: the indices of the earlier steps that ended on their own, newest first (the first whose state exists
   * is read: a step that ended by exec wrote none). `dir` is sessionDir()'s shell word; `create`: this is the
   * session's first step, which makes the directory (mode 700; a directory already there fails the step).
   */
  session: { dir: string; shared: boolean; index: number; from: readonly number[]; create: boolean };
}

function exportsOf(env: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(env ?? {})
    .map(([k, v]) => `export ${k}=${shellQuote(v)};`)
    .join(' ');
}

/**
 * The command sent for one step: the program is one quoted word; timeout(1) kills its whole process group.
 * Everything krel adds is on the program's first line, so the guide's line numbers hold in bash's messages; the
 * shell options are set after the state is restored (Debian's bash reads bash.bashrc under sshd, which is not
 * written for -u). The login shell then prints the exit marker: background processes the step started keep
 * its output open, so the step's end is that line, not the end of the output.
 */
export function stepShellCommand(s: StepShell): string {
  const names = Object.keys(s.env ?? {});
  const d = s.session.dir;
  const parts = [`__krel_s=${d}; ${RECORD_GROUP}`];
  if (s.session.shared) {
    const from = s.session.from.map((i) => `state.${i}`).join(' ');
    parts.push(
      `__krel_i=${s.session.index};`,
      from === ''
        ? ''
        : `for __krel_f in ${from}; do if [ -f "$__krel_s/$__krel_f" ]; then . "$__krel_s/$__krel_f"; break; fi; done;`,
      `__krel_only=${shellQuote(names.join(' '))};`,
      names.length > 0 ? `__krel_keep=$(declare -p ${names.join(' ')} 2>/dev/null);` : `__krel_keep='';`,
      `${exportsOf(s.env)} ${SAVE}; trap __krel_save EXIT;`,
    );
  } else {
    parts.push(exportsOf(s.env));
  }
  const prologue = `${parts.join(' ')} set -euo pipefail; `;
  const create = s.session.create
    ? `{ mkdir -m 700 -- ${d} || { echo "krel: cannot make the session directory ${d} on this target: check TMPDIR there" >&2; false; }; } && `
    : '';
  return `cd && ${create}timeout --kill-after=10 ${s.timeoutSec} bash -c ${shellQuote(prologue + s.program)}; ${s.afterExit}`;
}
