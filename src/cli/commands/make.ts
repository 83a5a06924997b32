/** `krel make`: package the release archives, SHA256SUMS and release-manifest.json. */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import { gzipLevel } from '../options.js';
import type { MakeFlags } from './make-run.js';

export function makeCommand(): Command {
  return new Command('make')
    .description(
      'package the release: archives from krel.json, SHA256SUMS, release-manifest.json, SBOM, provenance and signature',
    )
    .option('--from <dir>', 'package this prebuilt tree instead of krel.json "source" (never runs "build")')
    .option('-o, --out <dir>', 'output directory, replaced atomically (default: krel.json "out", i.e. dist)')
    .option('--verify', 'after making, re-hash the output as `krel verify` does')
    .option('--level <1-9>', 'gzip compression level', gzipLevel, 6)
    .option(
      '--signing-key <file>',
      'private key (PEM, Ed25519 or ECDSA P-256) that signs SHA256SUMS and the provenance (default: KREL_SIGNING_KEY, else krel.json sign.key)',
    )
    .addHelpText(
      'after',
      `
Inputs are read from krel.json "source" (or --from). When inputs are missing and krel.json has "build",
that command runs first (in the source directory); otherwise every missing input is listed and nothing is
written. Archives are byte-reproducible: entries sorted, owner 0/0, modes 0755/0644 (or the entry's "mode"),
mtime from SOURCE_DATE_EPOCH, else the HEAD commit time, else 1980-01-01.
Beside them: sbom.cdx.json (CycloneDX) and, with a signing key, provenance.intoto.jsonl (SLSA provenance v1 in
a signed DSSE envelope) and SHA256SUMS.sig (the raw signature of SHA256SUMS, which lists everything else).
Without a key nothing is signed and no provenance is written (said once), and the output is byte-reproducible.
The key is never printed or written anywhere.
--dry-run prints the plan; --json prints the release manifest (or the plan) on stdout.

Exit codes: 0 made (or planned); 2 bad krel.json, missing inputs, a signing key krel cannot use, or a path krel
cannot use (too long, unreadable, below a file); 3 an unsafe input (symlink leaving the tree, fifo/socket/device, a name that is not
UTF-8), an output directory krel cannot prove it made, or --verify found a mismatch; 4 the build command failed.`,
    )
    .action(async (flags: MakeFlags, cmd: Command) => {
      const { runMake } = await import('./make-run.js');
      await runMake(commandIo(cmd), flags);
    });
}
