// Media keys of an encrypted call: the 16-byte base keys SFrame encrypts with, their ids, the one-way ratchet used
// when someone joins, and the wrapping that carries a key to exactly one other browser.
//
// Invariants: a key id (KID) names one key for one sender: KID = epoch * 256 + step; a fresh random key starts a new
// epoch, a join moves the step on by one HKDF step, which no one can run backwards, so a newcomer given step s+1
// cannot compute step s. A wrapped key opens only with the ECDH secret of the two browsers it was made for, in this
// room, in this direction, and only under the KID it was sent with (the KID is the AES-GCM additional data).

import { concatBytes, fromBase64url, randomBytes, sha256, textBytes, toBase64url } from "./key-bytes.ts";

export const MEDIA_KEY_BYTES = 16;
/** Steps per epoch: the step is the low byte of the KID. */
export const STEPS_PER_EPOCH = 256;

export function kidOf(epoch: number, step: number): bigint {
  return BigInt(epoch) * BigInt(STEPS_PER_EPOCH) + BigInt(step);
}

export function splitKid(kid: bigint): { epoch: number; step: number } {
  return { epoch: Number(kid / BigInt(STEPS_PER_EPOCH)), step: Number(kid % BigInt(STEPS_PER_EPOCH)) };
}

export async function ratchetKey(key: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const ikm = await crypto.subtle.importKey("raw", Uint8Array.from(key), "HKDF", false, ["deriveBits"]);
  const info = textBytes("KABINET-RATCHET-1");
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info }, ikm, 128);
  return new Uint8Array(bits);
}

export function newMediaKey(): Uint8Array<ArrayBuffer> {
  return randomBytes(MEDIA_KEY_BYTES);
}

/** The two AES-GCM keys between me and one peer: `send` wraps what I send them, `receive` opens what they send me. */
export interface WrapKeys {
  send: CryptoKey;
  receive: CryptoKey;
}

export async function deriveWrapKeys(
  myPrivate: CryptoKey,
  peerPublic: CryptoKey,
  roomId: string,
  me: string,
  peer: string,
): Promise<WrapKeys> {
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: peerPublic }, myPrivate, 256);
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const salt = await sha256(textBytes(roomId));
  const derive = (sender: string, receiver: string): Promise<CryptoKey> =>
    crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt, info: concatBytes(textBytes(`KABINET-WRAP-1${sender}`), new Uint8Array(1), textBytes(receiver)) },
      ikm,
      { name: "AES-GCM", length: 128 },
      false,
      ["encrypt", "decrypt"],
    );
  return { send: await derive(me, peer), receive: await derive(peer, me) };
}

export async function wrapMediaKey(wrap: CryptoKey, kid: bigint, key: Uint8Array): Promise<{ iv: string; ct: string }> {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: textBytes(kid.toString()) }, wrap, Uint8Array.from(key));
  return { iv: toBase64url(iv), ct: toBase64url(new Uint8Array(ct)) };
}

/** Null when the key does not open: wrapped for someone else, under another KID, or altered. */
export async function unwrapMediaKey(wrap: CryptoKey, kid: string, iv: string, ct: string): Promise<Uint8Array<ArrayBuffer> | null> {
  const ivBytes = fromBase64url(iv);
  const ctBytes = fromBase64url(ct);
  if (ivBytes?.length !== 12 || ctBytes?.length !== MEDIA_KEY_BYTES + 16) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: ivBytes, additionalData: textBytes(kid) }, wrap, ctBytes);
    return new Uint8Array(plain);
  } catch {
    return null;
  }
}
