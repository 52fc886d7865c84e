// The two AES-GCM implementations SFrame can run on, behind one small interface: the browser's own WebCrypto
// (native code, but every call is a promise that resolves on a later task) and @noble/ciphers (pure JavaScript,
// synchronous, but it expands the AES key and the GHASH tables again on every call). Both give the same bytes for the
// same key, nonce and data (checked against RFC 9605's vectors in sframe.test.ts); which is faster per media frame is
// measured by `npm run bench -- e2ee`. Only WebCrypto and noble: this runs in a browser Worker and in Bun alike.
import { gcm } from "@noble/ciphers/aes.js";

export type Backend = "webcrypto" | "noble";

/** AES-GCM with a 16-byte tag under one key. `open` returns null when the tag does not verify. */
export interface Aead {
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | null>;
}

// TypeScript's DOM types want ArrayBuffer-backed views; ours always are (never SharedArrayBuffer).
const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;

/** Imports a raw AES key (16 or 32 bytes) for the chosen backend. The WebCrypto key is not extractable. */
export async function importAead(backend: Backend, key: Uint8Array): Promise<Aead> {
  if (key.length !== 16 && key.length !== 32) throw new RangeError(`AES key of ${key.length} bytes`);
  if (backend === "noble") {
    const k = key.slice(); // the caller may wipe its copy
    return {
      seal: async (nonce, aad, plaintext) => gcm(k, nonce, aad).encrypt(plaintext),
      open: async (nonce, aad, sealed) => {
        try {
          return gcm(k, nonce, aad).decrypt(sealed);
        } catch {
          return null;
        }
      },
    };
  }
  const k = await crypto.subtle.importKey("raw", buf(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  return {
    seal: async (nonce, aad, plaintext) =>
      new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: buf(nonce), additionalData: buf(aad), tagLength: 128 }, k, buf(plaintext))),
    open: async (nonce, aad, sealed) => {
      try {
        return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: buf(nonce), additionalData: buf(aad), tagLength: 128 }, k, buf(sealed)));
      } catch {
        return null; // OperationError: the tag did not verify (or the input was shorter than a tag)
      }
    },
  };
}
