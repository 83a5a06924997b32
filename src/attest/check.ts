/**
 * Checking a release's attestations against its SHA256SUMS, from the files' bytes alone (no asset is read, so
 * krel validate runs it before anything installs): the signature of SHA256SUMS, the provenance's DSSE signature
 * and subjects, and the SBOM's hashes. SHA256SUMS itself vouches for the assets (`krel verify`, the install
 * script's sha256sum): with a good signature, everything it lists is Kontain's.
 */
import { parseSums } from '../checksums/index.js';
import { PROVENANCE_FILE, SBOM_FILE, SIG_FILE, SUMS_FILE, MANIFEST_FILE } from '../config/release-files.js';
import { envelopeVerifies, parseEnvelope } from './dsse.js';
import type { SigningKey } from './keys.js';
import { IN_TOTO_PAYLOAD_TYPE, SLSA_PROVENANCE_V1, STATEMENT_TYPE, type Statement } from './provenance.js';
import { verifyBytes } from './signature.js';

export interface ReleaseFiles {
  /** The bytes of each file, undefined when the release has none. */
  sums: Buffer | undefined;
  signature: Buffer | undefined;
  provenance: string | undefined;
  sbom: string | undefined;
}

export interface AttestationReport {
  /** What was checked and holds, e.g. "SHA256SUMS.sig (ed25519, key 1a2b…)". */
  checked: string[];
  /** Mismatches: one line each. */
  problems: string[];
  /** What could not be checked and why (e.g. no key given). */
  notes: string[];
}

const keyName = (k: SigningKey): string => `${k.file} (${k.algorithm}, key id ${k.keyId.slice(0, 16)})`;

function checkSignature(f: ReleaseFiles, key: SigningKey | undefined, r: AttestationReport): void {
  if (key === undefined) {
    if (f.signature !== undefined) r.notes.push(`${SIG_FILE} not checked: pass --key PUB to check it`);
    return;
  }
  if (f.sums === undefined) return; // the caller reports a missing SHA256SUMS
  if (f.signature === undefined) {
    r.problems.push(`${SIG_FILE} is missing: the release is not signed, so ${keyName(key)} proves nothing`);
  } else if (!verifyBytes(f.sums, f.signature, key)) {
    r.problems.push(
      `${SIG_FILE} does not verify with ${keyName(key)}: ${SUMS_FILE} or its signature was changed, or another key signed it`,
    );
  } else r.checked.push(`${SIG_FILE} verifies with ${keyName(key)}`);
}

/** The names SHA256SUMS lists that a statement's subjects must cover: all but the provenance itself. */
function subjectNames(sums: ReadonlyMap<string, string>): string[] {
  return [...sums.keys()].filter((n) => n !== PROVENANCE_FILE);
}

function checkStatement(
  line: number,
  s: Partial<Statement>,
  sums: ReadonlyMap<string, string>,
  r: AttestationReport,
): void {
  const at = `${PROVENANCE_FILE} line ${line}`;
  if (s._type !== STATEMENT_TYPE || s.predicateType !== SLSA_PROVENANCE_V1 || !Array.isArray(s.subject)) {
    r.problems.push(`${at}: not an in-toto Statement v1 with SLSA provenance v1`);
    return;
  }
  const subjects = new Map<string, string | undefined>();
  for (const sub of s.subject) subjects.set(String(sub?.name), sub?.digest?.sha256);
  let bad = 0;
  for (const [name, digest] of subjects) {
    const listed = sums.get(name);
    if (listed === undefined) r.problems.push(`${at}: subject ${name} is not in ${SUMS_FILE}`);
    else if (listed !== digest)
      r.problems.push(`${at}: subject ${name} has sha256 ${String(digest)}, ${SUMS_FILE} says ${listed}`);
    else continue;
    bad++;
  }
  for (const name of subjectNames(sums)) {
    if (!subjects.has(name)) {
      r.problems.push(`${at}: ${name} (in ${SUMS_FILE}) is not one of its subjects`);
      bad++;
    }
  }
  if (bad === 0) r.checked.push(`${PROVENANCE_FILE}: ${subjects.size} subjects match ${SUMS_FILE}`);
}

function checkProvenance(
  f: ReleaseFiles,
  sums: ReadonlyMap<string, string>,
  key: SigningKey | undefined,
  r: AttestationReport,
): void {
  if (f.provenance === undefined) return;
  const lines = f.provenance.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) r.problems.push(`${PROVENANCE_FILE} is empty`);
  lines.forEach((text, i) => {
    const at = `${PROVENANCE_FILE} line ${i + 1}`;
    const env = parseEnvelope(text);
    if (typeof env === 'string') return void r.problems.push(`${at}: ${env}`);
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE)
      return void r.problems.push(`${at}: payloadType ${env.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
    if (key !== undefined) {
      if (envelopeVerifies(env, key)) r.checked.push(`${at}: DSSE signature verifies with ${keyName(key)}`);
      else r.problems.push(`${at}: its DSSE signature does not verify with ${keyName(key)}`);
    } else if (env.signatures.length > 0) r.notes.push(`${at}: DSSE signature not checked: pass --key PUB`);
    let statement: Partial<Statement>;
    try {
      statement = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as Partial<Statement>;
    } catch {
      return void r.problems.push(`${at}: the payload is not JSON`);
    }
    checkStatement(i + 1, statement, sums, r);
  });
}

interface SbomComponent {
  name?: unknown;
  hashes?: { alg?: unknown; content?: unknown }[];
  components?: SbomComponent[];
}

const sha256Of = (c: SbomComponent): string | undefined => {
  const h = (Array.isArray(c.hashes) ? c.hashes : []).find((x) => x?.alg === 'SHA-256');
  return typeof h?.content === 'string' ? h.content : undefined;
};

/** The SBOM's top-level components (name -> sha256) and, per component, its files (path -> sha256). */
export function sbomHashes(
  text: string,
): { assets: Map<string, string | undefined>; files: Map<string, Map<string, string | undefined>> } | string {
  let doc: { bomFormat?: unknown; components?: SbomComponent[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return 'not valid JSON';
  }
  if (doc?.bomFormat !== 'CycloneDX') return 'not a CycloneDX document (bomFormat)';
  const assets = new Map<string, string | undefined>();
  const files = new Map<string, Map<string, string | undefined>>();
  for (const c of Array.isArray(doc.components) ? doc.components : []) {
    const name = String(c?.name);
    assets.set(name, sha256Of(c));
    files.set(
      name,
      new Map((Array.isArray(c.components) ? c.components : []).map((f) => [String(f?.name), sha256Of(f)])),
    );
  }
  return { assets, files };
}

function checkSbom(f: ReleaseFiles, sums: ReadonlyMap<string, string>, r: AttestationReport): void {
  if (f.sbom === undefined) return;
  const parsed = sbomHashes(f.sbom);
  if (typeof parsed === 'string') return void r.problems.push(`${SBOM_FILE}: ${parsed}`);
  let bad = 0;
  for (const [name, digest] of parsed.assets) {
    const listed = sums.get(name);
    if (listed === undefined) r.problems.push(`${SBOM_FILE}: component ${name} is not in ${SUMS_FILE}`);
    else if (listed !== digest)
      r.problems.push(
        `${SBOM_FILE}: component ${name} has sha256 ${String(digest)}, ${SUMS_FILE} says ${listed}`,
      );
    else continue;
    bad++;
  }
  // Every released file but krel's own bookkeeping is a component.
  const own = new Set([MANIFEST_FILE, SBOM_FILE, PROVENANCE_FILE]);
  for (const name of sums.keys()) {
    if (!own.has(name) && !parsed.assets.has(name)) {
      r.problems.push(`${SBOM_FILE}: ${name} (in ${SUMS_FILE}) is not one of its components`);
      bad++;
    }
  }
  if (bad === 0) r.checked.push(`${SBOM_FILE}: ${parsed.assets.size} components match ${SUMS_FILE}`);
}

/** Check what the release holds of signature, provenance and SBOM; a key, when given, must have signed it. */
export function checkAttestations(f: ReleaseFiles, key: SigningKey | undefined): AttestationReport {
  const r: AttestationReport = { checked: [], problems: [], notes: [] };
  const sums = new Map(
    (f.sums === undefined ? [] : parseSums(f.sums.toString('utf8')).sums).map((s) => [s.name, s.sha256]),
  );
  checkSignature(f, key, r);
  checkProvenance(f, sums, key, r);
  checkSbom(f, sums, r);
  return r;
}
