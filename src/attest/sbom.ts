/**
 * sbom.cdx.json: the release as a CycloneDX (1.6, JSON) document made with the CycloneDX library, which
 * keeps it to the spec: one `file` component per archive and raw asset with its SHA-256, and inside each
 * archive one component per file it holds (hard links included), with that file's SHA-256. Byte-reproducible: the timestamp is the
 * release's source date and the serial number is derived from the release's content.
 */
import { createHash } from 'node:crypto';

export interface SbomInput {
  /** owner/name, or undefined when krel.json names no repository. */
  repo: string | undefined;
  tag: string;
  toolVersion: string;
  sourceDateEpoch: number;
  archives: readonly {
    name: string;
    sha256: string;
    entries: readonly { path: string; type: string; sha256?: string; linkname?: string }[];
  }[];
  assets: readonly { name: string; sha256: string }[];
}

/** The spec version written (and validated against in the tests). */
export const SBOM_SPEC_VERSION = '1.6';

/** A UUID (RFC 9562 version 8) from the release's content: the same release gets the same serial number. */
function serialNumber(input: SbomInput): string {
  const h = createHash('sha256').update(
    JSON.stringify([input.repo, input.tag, input.archives, input.assets]),
  );
  const b = h.digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export async function buildSbom(input: SbomInput): Promise<string> {
  // Loaded on first use: only make writes an SBOM.
  const { Enums, Models, Serialize, Spec } = await import('@cyclonedx/cyclonedx-library');
  const sha256 = Enums.HashAlgorithm['SHA-256'];
  const file = (name: string, ref: string, hash: string): InstanceType<typeof Models.Component> => {
    const c = new Models.Component(Enums.ComponentType.File, name, { bomRef: ref });
    c.hashes.set(sha256, hash);
    return c;
  };
  const bom = new Models.Bom();
  bom.serialNumber = serialNumber(input);
  bom.metadata.timestamp = new Date(input.sourceDateEpoch * 1000);
  bom.metadata.component = new Models.Component(Enums.ComponentType.Application, input.repo ?? 'release', {
    bomRef: 'release',
    version: input.tag,
  });
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'krel', { version: input.toolVersion }),
  );
  for (const a of input.archives) {
    const archive = file(a.name, a.name, a.sha256);
    const hashes = new Map(a.entries.map((e) => [e.path, e.sha256]));
    for (const e of a.entries) {
      // A hard link is a file too: it has the content of the file it links to.
      const hash =
        e.type === 'file' ? e.sha256 : e.type === 'hardlink' ? hashes.get(e.linkname ?? '') : undefined;
      if (hash !== undefined) archive.components.add(file(e.path, `${a.name}:${e.path}`, hash));
    }
    bom.components.add(archive);
  }
  for (const a of input.assets) bom.components.add(file(a.name, a.name, a.sha256));
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 }) + '\n';
}
