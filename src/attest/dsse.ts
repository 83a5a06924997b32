/**
 * DSSE (Dead Simple Signing Envelope, v1): the payload is signed through its pre-authentication encoding,
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN the ASCII decimal byte length.
 */
import { signBytes, verifyBytes } from './signature.js';
import type { SigningKey } from './keys.js';

export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the payload bytes. */
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** The envelope of `payload`, signed with `key` when there is one (else with no signature). */
export function envelope(payloadType: string, payload: Uint8Array, key?: SigningKey): DsseEnvelope {
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures:
      key === undefined
        ? []
        : [{ keyid: key.keyId, sig: signBytes(pae(payloadType, payload), key).toString('base64') }],
  };
}

/** Whether any of the envelope's signatures verifies with `key`. */
export function envelopeVerifies(env: DsseEnvelope, key: SigningKey): boolean {
  const signed = pae(env.payloadType, Buffer.from(env.payload, 'base64'));
  return env.signatures.some((s) => verifyBytes(signed, Buffer.from(s.sig, 'base64'), key));
}

/** Parse one line of a .intoto.jsonl file as an envelope; a problem line when it is not one. */
export function parseEnvelope(line: string): DsseEnvelope | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not a JSON line';
  }
  const e = value as Partial<DsseEnvelope> | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    typeof e.payloadType !== 'string' ||
    typeof e.payload !== 'string' ||
    !Array.isArray(e.signatures) ||
    !e.signatures.every((s) => typeof s?.sig === 'string')
  )
    return 'not a DSSE envelope (payloadType, payload, signatures)';
  return e as DsseEnvelope;
}
