// AES-256-GCM through the runtime's native crypto (OpenSSL/BoringSSL): the same bytes as @noble/ciphers' gcm, which
// the tests check against, at ~30× the speed (docs/benchmarks.md). Pure: takes keys and bytes, knows no domain.
import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export function randomBytes(length: number): Uint8Array {
  return randomFillSync(new Uint8Array(length));
}

/** Encrypts and returns ciphertext ‖ tag. */
export function encryptAES256GCM(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(cipher.getAuthTag(), head.length + tail.length);
  return out;
}

/** Opens ciphertext ‖ tag; null when the tag does not verify (wrong key, wrong associated data, altered bytes). */
export function decryptAES256GCM(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG_BYTES) return null;
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    const tail = decipher.final();
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    return out;
  } catch {
    return null;
  }
}
