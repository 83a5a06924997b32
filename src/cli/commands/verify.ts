/** `krel verify [DIR]`: re-hash a made release directory against its SHA256SUMS and release-manifest.json. */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import type { VerifyFlags } from './verify-run.js';

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      're-hash a release directory against SHA256SUMS and release-manifest.json; check its signature, provenance and SBOM',
    )
    .argument('[dir]', 'the directory krel make wrote (default: krel.json "out", else ./dist)')
    .option(
      '--key <pub>',
      'public key (PEM) SHA256SUMS.sig must verify with (default: krel.json sign.publicKey)',
    )
    .addHelpText(
      'after',
      `
Checks every file against SHA256SUMS, every archive against the manifest (size, sha256), and re-lists each
archive comparing its members (path, type, size, mode, sha256, link, owner 0/0, mtime) with the manifest.
Members are held to krel make's archive rules, whatever the manifest says: relative paths without "..", only
files, directories and symlinks, links relative and leading nowhere outside the archive, nothing below a link.
Members are hashed as they stream past: memory stays flat whatever their size.
With --key, SHA256SUMS.sig must verify with the key (Ed25519 or ECDSA P-256), and so must the DSSE envelope of
provenance.intoto.jsonl. Without a key the signatures are not checked (said once). Whenever present, the
provenance's subjects must be every asset with its sha256, and the SBOM's hashes must match SHA256SUMS and the
manifest.

Exit codes: 0 everything matches; 2 DIR is missing or holds neither SHA256SUMS nor release-manifest.json, or the
key cannot be read; 3 a mismatch, a signature that does not verify, or a member breaking a rule: one line each.
--json prints the report on stdout.`,
    )
    .action(async (dirArg: string | undefined, flags: VerifyFlags, cmd: Command) => {
      const { runVerify } = await import('./verify-run.js');
      await runVerify(commandIo(cmd), dirArg, flags);
    });
}
