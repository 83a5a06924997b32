/** Signed and attested releases: signing keys, raw signatures, DSSE, SLSA provenance, CycloneDX SBOM, checks. */
export { loadPublicKey, loadSigningKey, type SigningAlgorithm, type SigningKey } from './keys.js';
export { signBytes, verifyBytes } from './signature.js';
export { envelope, envelopeVerifies, pae, parseEnvelope, type DsseEnvelope } from './dsse.js';
export {
  builderFromEnv,
  provenanceLine,
  provenanceStatement,
  type Builder,
  type ProvenanceFacts,
  type Statement,
} from './provenance.js';
export { buildSbom, SBOM_SPEC_VERSION, type SbomInput } from './sbom.js';
export { checkAttestations, sbomHashes, type AttestationReport, type ReleaseFiles } from './check.js';
