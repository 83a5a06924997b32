/** `krel verify [DIR]`: re-hash a made release directory against its SHA256SUMS and release-manifest.json. */
import { loadPublicKey } from '../../attest/keys.js';
import type { KrelConfig } from '../../config/types.js';
import { ConfigError } from '../../errors/index.js';
import { limitYoungGenerationGrowth, verifyDist } from '../../pack/index.js';
import { mismatchError } from '../../pack/make-release.js';
import { readConfig, type CommandIo } from '../context.js';

export interface VerifyFlags {
  /** --key PUB: the public key the release must be signed with. */
  key?: string;
}

/** krel.json, or undefined when there is none. A krel.json that is invalid is reported, not ignored. */
async function optionalConfig(io: CommandIo): Promise<KrelConfig | undefined> {
  try {
    return await readConfig(io);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    return undefined;
  }
}

export async function runVerify(
  io: CommandIo,
  dirArg: string | undefined,
  flags: VerifyFlags = {},
): Promise<void> {
  // Verify streams every member through short-lived buffers, as make does.
  limitYoungGenerationGrowth();
  const config = dirArg === undefined || flags.key === undefined ? await optionalConfig(io) : undefined;
  // DIR: the argument, else krel.json's "out", else ./dist.
  const dir = dirArg !== undefined ? io.resolve(dirArg) : (config?.out ?? io.resolve('dist'));
  // The key: --key, else krel.json sign.publicKey; none: the signature is not checked.
  const keyFile = flags.key !== undefined ? io.resolve(flags.key) : config?.sign.publicKey;
  const key = keyFile !== undefined ? loadPublicKey(keyFile) : undefined;
  const report = await verifyDist(dir, key !== undefined ? { key } : {});
  if (io.globals.json) io.printJson(report);
  const err = mismatchError(dir, report);
  if (err !== undefined) throw err;
  for (const line of [...report.attested, ...report.notes]) io.logger.info(line);
  io.logger.info(`verified ${report.verified.length} files in ${dir}: all match`);
}
