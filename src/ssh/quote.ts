/** POSIX shell quoting for commands sent over SSH (the remote login shell parses them). */

/** One word, safe in any POSIX shell: single-quoted, with embedded ' as '\''. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `export K='v'; ...` prefix: works whatever the server's AcceptEnv allows. Names are checked. */
export function envPrefix(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`);
      return `export ${k}=${shellQuote(v)}; `;
    })
    .join('');
}
