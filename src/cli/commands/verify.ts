/** `krel verify [DIR]`: re-hash a made release directory against its SHA256SUMS and release-manifest.json. */
import { Command } from 'commander';
import { commandIo } from '../context.js';

export function verifyCommand(): Command {
  return new Command('verify')
    .description('re-hash a release directory against SHA256SUMS and release-manifest.json')
    .argument('[dir]', 'the directory krel make wrote (default: krel.json "out", else ./dist)')
    .addHelpText(
      'after',
      `
Checks every file against SHA256SUMS, every archive against the manifest (size, sha256), and re-lists each
archive comparing its members (path, type, size, mode, sha256, link, owner 0/0, mtime) with the manifest.
Members are held to krel make's archive rules, whatever the manifest says: relative paths without "..", only
files, directories and symlinks, links relative and leading nowhere outside the archive, nothing below a link.
Members are hashed as they stream past: memory stays flat whatever their size.

Exit codes: 0 everything matches; 2 DIR is missing or holds neither SHA256SUMS nor release-manifest.json;
3 a mismatch or a member breaking a rule: one line each. --json prints the report on stdout.`,
    )
    .action(async (dirArg: string | undefined, _flags: unknown, cmd: Command) => {
      const { runVerify } = await import('./verify-run.js');
      await runVerify(commandIo(cmd), dirArg);
    });
}
