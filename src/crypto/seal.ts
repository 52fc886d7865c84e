// Sealed values: the one byte format for everything Kabinet encrypts at rest (fields, wrapped keys, files).
//
//   version (1 byte) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
//
// Invariants: the version byte says which algorithm and layout follow, so keys and algorithms can rotate; it is also
// part of the authenticated data, so it cannot be swapped. The caller's context (for a field: table, column and row)
// is authenticated too, so a sealed value copied to another row or column fails to open. Nonces are random: with
// 96-bit nonces a key stays well under the 2^32-messages bound for a per-subject key.
import { decryptAES256GCM, encryptAES256GCM, NONCE_BYTES, randomBytes, TAG_BYTES } from "./aead.ts";

export const SEAL_V1_AES256GCM = 0x01;
const HEADER_BYTES = 1 + NONCE_BYTES;
const encoder = new TextEncoder();

export function sealBytes(key: Uint8Array, plaintext: Uint8Array, context: string): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const body = encryptAES256GCM(key, nonce, plaintext, associatedData(SEAL_V1_AES256GCM, context));
  const out = new Uint8Array(HEADER_BYTES + body.length);
  out[0] = SEAL_V1_AES256GCM;
  out.set(nonce, 1);
  out.set(body, HEADER_BYTES);
  return out;
}

/** Null when the value is not a sealed value of a known version, or does not open under this key and context. */
export function openBytes(key: Uint8Array, sealed: Uint8Array, context: string): Uint8Array | null {
  if (sealed.length < HEADER_BYTES + TAG_BYTES || sealed[0] !== SEAL_V1_AES256GCM) return null;
  return decryptAES256GCM(
    key,
    sealed.subarray(1, HEADER_BYTES),
    sealed.subarray(HEADER_BYTES),
    associatedData(SEAL_V1_AES256GCM, context),
  );
}

function associatedData(version: number, context: string): Uint8Array {
  return encoder.encode(`kabinet/${version}/${context}`);
}

/** The context that binds a field's sealed value to its place: table, column and row. */
export function fieldContext(table: string, column: string, rowId: string): string {
  return `field/${table}/${column}/${rowId}`;
}
