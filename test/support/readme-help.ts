/**
 * The README's command reference is the CLI's own --help output, between markers:
 *   <!-- help: make -->  ```text ... ```  <!-- /help -->
 * readmeHelpBlocks() reads them; helpText() runs the built CLI. `npm run docs` rewrites the blocks.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { KREL_BIN, REPO_ROOT } from './cli.js';

const BLOCK = /<!-- help: ([a-z ]*?) -->\n```text\n([\s\S]*?)```\n<!-- \/help -->/g;
export const README = `${REPO_ROOT}README.md`;

export function helpText(command: string): string {
  const args = command === 'krel' ? ['--help'] : [...command.split(' '), '--help'];
  // Not a TTY: commander wraps at 80 columns, the same on every machine.
  return execFileSync(process.execPath, [KREL_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '80' },
  });
}

export function readmeHelpBlocks(text = readFileSync(README, 'utf8')): Map<string, string> {
  return new Map([...text.matchAll(BLOCK)].map((m) => [m[1]!, m[2]!]));
}

export function rewriteReadme(): void {
  const text = readFileSync(README, 'utf8');
  writeFileSync(
    README,
    text.replace(
      BLOCK,
      (_all, name: string) => `<!-- help: ${name} -->\n\`\`\`text\n${helpText(name)}\`\`\`\n<!-- /help -->`,
    ),
  );
}
