/** The release store a spec names: "github", or "dir:PATH" (a local store; PATH relative to `base`). */
import path from 'node:path';
import { UsageError } from '../errors/index.js';

export type StoreSpec = { kind: 'github' } | { kind: 'dir'; root: string };

/** Parse a spec; `where` names its origin in the error ("--store", `"release.store" in krel.json`). */
export function parseStoreSpec(spec: string, base: string, where = '--store'): StoreSpec {
  if (spec === 'github') return { kind: 'github' };
  if (spec.startsWith('dir:') && spec.length > 'dir:'.length)
    return { kind: 'dir', root: path.resolve(base, spec.slice('dir:'.length)) };
  throw new UsageError(`${where} ${spec}: expected "github" or "dir:PATH"`);
}
