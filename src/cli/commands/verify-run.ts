/** `krel verify [DIR]`: re-hash a made release directory against its SHA256SUMS and release-manifest.json. */
import { ConfigError } from '../../errors/index.js';
import { limitYoungGenerationGrowth, verifyDist } from '../../pack/index.js';
import { mismatchError } from '../../pack/make-release.js';
import { readConfig, type CommandIo } from '../context.js';

/** krel.json's "out"; ./dist when there is no krel.json. A krel.json that is invalid is reported, not ignored. */
async function defaultDir(io: CommandIo): Promise<string> {
  try {
    return (await readConfig(io)).out;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    return io.resolve('dist');
  }
}

export async function runVerify(io: CommandIo, dirArg: string | undefined): Promise<void> {
  // Verify streams every member through short-lived buffers, as make does.
  limitYoungGenerationGrowth();
  const dir = dirArg !== undefined ? io.resolve(dirArg) : await defaultDir(io);
  const report = await verifyDist(dir);
  if (io.globals.json) io.printJson(report);
  const err = mismatchError(dir, report);
  if (err !== undefined) throw err;
  io.logger.info(`verified ${report.verified.length} files in ${dir}: all match`);
}
