// Sealing and opening one 64-byte field: the runtime's native AES-256-GCM (what Kabinet uses) against
// @noble/ciphers' pure-JS gcm, in the same run. Both produce the same bytes (src/crypto/aead.test.ts).
import { gcm } from "@noble/ciphers/aes.js";
import { randomBytes } from "../../src/crypto/aead.ts";
import { fieldContext, openBytes, sealBytes } from "../../src/crypto/seal.ts";
import { microsPerCall } from "./stats.ts";

export interface CryptoFigures {
  nativeSealUs: number;
  nativeOpenUs: number;
  nobleSealUs: number;
  nobleOpenUs: number;
}

export function benchCrypto(runs = 7): CryptoFigures {
  const key = randomBytes(32);
  const value = randomBytes(64);
  const context = fieldContext("people", "name", "0b5c3f0e-5d36-4c4b-9a55-0e1f7b1c2d3e");
  const sealed = sealBytes(key, value, context);

  // noble, through the same layout: version ‖ nonce ‖ ciphertext ‖ tag, same associated data
  const aad = new TextEncoder().encode(`kabinet/1/${context}`);
  const nobleSeal = () => {
    const nonce = randomBytes(12);
    const body = gcm(key, nonce, aad).encrypt(value);
    const out = new Uint8Array(13 + body.length);
    out[0] = 1;
    out.set(nonce, 1);
    out.set(body, 13);
    return out;
  };
  const nobleSealed = nobleSeal();
  const nobleOpen = () => gcm(key, nobleSealed.subarray(1, 13), aad).decrypt(nobleSealed.subarray(13));
  if (!openBytes(key, nobleSealed, context)) throw new Error("noble and native disagree");

  return {
    nativeSealUs: microsPerCall(() => sealBytes(key, value, context), 20_000, runs),
    nativeOpenUs: microsPerCall(() => openBytes(key, sealed, context), 20_000, runs),
    nobleSealUs: microsPerCall(nobleSeal, 5_000, runs),
    nobleOpenUs: microsPerCall(nobleOpen, 5_000, runs),
  };
}
