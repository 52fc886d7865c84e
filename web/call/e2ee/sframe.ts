// SFrame (RFC 9605): end-to-end encryption of whole media frames, so that the SFU forwards what it cannot read.
//
// What it protects: the content of every encoded audio and video frame, between browsers that share a base key the
// server never sees (exchanged by keys.ts). What it leaves readable: the SFrame header (key id and counter) and the
// metadata the caller chooses (frames.ts: the few VP8 bytes the SFU and the receiving browser need), both bound to
// the ciphertext as AES-GCM associated data, so a server that alters them makes the frame fail to decrypt.
//
// Invariants the caller keeps:
// - a (key, counter) pair encrypts at most one frame: the nonce is the per-key salt XOR the counter, and a reused
//   AES-GCM nonce leaks the XOR of two plaintexts and lets the tag be forged. Each sender counts up from 0 under its
//   own key id, and a new base key gets a new key id.
// - the base key is secret and at least as long as the AES key (16 bytes for the default suite).
// Replay is not checked here (a replayed frame decrypts): the receiving transform may track counters per key id.
//
// Suites: 0x0004 AES_128_GCM_SHA256_128 (Kabinet's), 0x0005 AES_256_GCM_SHA512_128. Key derivation (§4.4.2) uses
// WebCrypto's HMAC in both backends; only the AEAD differs (aead.ts).
import { type Aead, type Backend, importAead } from "./aead.ts";
import { concatBytes } from "./key-bytes.ts";

export type { Backend } from "./aead.ts";
export type Suite = 0x0004 | 0x0005;
export const DEFAULT_SUITE: Suite = 0x0004;

/**
 * WebCrypto, by `npm run bench -- e2ee` (docs/benchmarks.md, "End-to-end encryption"): protect + unprotect of one
 * VP8 frame in a Chromium 156 Worker took 70 µs (1,100 bytes) and 277 µs (30 KB) with WebCrypto against 351 µs and
 * 3.4 ms with @noble/ciphers (2026-12-03; 5× and 12× slower, an earlier run that day 6× and 19×). WebCrypto's
 * native AES-GCM outweighs its promise hop even for small frames, while noble runs AES in JavaScript and builds its
 * GHASH tables again for every frame (its gcm() takes the nonce with the key).
 */
export const DEFAULT_BACKEND: Backend = "webcrypto";

export class SFrameError extends Error {
  constructor(
    readonly reason: "header" | "unknown-key" | "auth",
    message: string,
  ) {
    super(message);
    this.name = "SFrameError";
  }
}

/** A key derived per RFC 9605 §4.4.2 from a base key and KID; opaque to callers except kid/suite. */
export interface SFrameKey {
  readonly kid: bigint;
  readonly suite: Suite;
  readonly backend: Backend;
  readonly salt: Uint8Array;
  readonly aead: Aead;
}

const SUITES: Record<Suite, { hash: "SHA-256" | "SHA-512"; hashBytes: number; keyBytes: number }> = {
  0x0004: { hash: "SHA-256", hashBytes: 32, keyBytes: 16 },
  0x0005: { hash: "SHA-512", hashBytes: 64, keyBytes: 32 },
};
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_U64 = (1n << 64n) - 1n;
const encoder = new TextEncoder();
const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;

function checkU64(name: string, v: bigint): void {
  if (v < 0n || v > MAX_U64) throw new RangeError(`SFrame ${name} ${v} is not a 64-bit unsigned integer`);
}

function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

async function hmac(hash: string, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", buf(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, buf(data)));
}

function label(text: string, kid: bigint, suite: Suite): Uint8Array {
  const t = encoder.encode(text);
  const out = new Uint8Array(t.length + 10);
  out.set(t);
  out.set(u64(kid), t.length);
  out[t.length + 8] = suite >> 8;
  out[t.length + 9] = suite & 0xff;
  return out;
}

/**
 * The raw secrets of §4.4.2, for the test vectors; callers use deriveSFrameKey, which does not keep them.
 * HKDF-Extract with an empty salt is HMAC keyed with HashLen zero bytes (RFC 5869 §2.2); each output is shorter
 * than one hash, so HKDF-Expand is the single block T(1) = HMAC(PRK, info || 0x01).
 */
export async function deriveSFrameSecrets(baseKey: Uint8Array, kid: bigint, suite: Suite): Promise<{ secret: Uint8Array; key: Uint8Array; salt: Uint8Array }> {
  checkU64("KID", kid);
  const s = SUITES[suite];
  if (!s) throw new RangeError(`unsupported SFrame cipher suite ${suite}`);
  const secret = await hmac(s.hash, new Uint8Array(s.hashBytes), baseKey);
  const expand = async (info: Uint8Array, length: number) => {
    const input = new Uint8Array(info.length + 1);
    input.set(info);
    input[info.length] = 1;
    return (await hmac(s.hash, secret, input)).slice(0, length);
  };
  const key = await expand(label("SFrame 1.0 Secret key ", kid, suite), s.keyBytes);
  const salt = await expand(label("SFrame 1.0 Secret salt ", kid, suite), NONCE_BYTES);
  return { secret, key, salt };
}

export async function deriveSFrameKey(baseKey: Uint8Array, kid: bigint, suite: Suite = DEFAULT_SUITE, backend: Backend = DEFAULT_BACKEND): Promise<SFrameKey> {
  const { secret, key, salt } = await deriveSFrameSecrets(baseKey, kid, suite);
  const aead = await importAead(backend, key);
  secret.fill(0);
  key.fill(0);
  return { kid, suite, backend, salt, aead };
}

const byteLength = (v: bigint): number => {
  let n = 1;
  while (n < 8 && v >> BigInt(8 * n)) n++;
  return n;
};

/** §4.3: config byte (X K Y C), then the KID and the CTR in big-endian, each in as few bytes as it needs. */
export function encodeHeader(kid: bigint, ctr: bigint): Uint8Array {
  checkU64("KID", kid);
  checkU64("CTR", ctr);
  const kidBytes = kid < 8n ? 0 : byteLength(kid);
  const ctrBytes = ctr < 8n ? 0 : byteLength(ctr);
  const out = new Uint8Array(1 + kidBytes + ctrBytes);
  out[0] = (kidBytes ? 0x80 | ((kidBytes - 1) << 4) : Number(kid) << 4) | (ctrBytes ? 0x08 | (ctrBytes - 1) : Number(ctr));
  for (let i = 0; i < kidBytes; i++) out[kidBytes - i] = Number((kid >> BigInt(8 * i)) & 0xffn);
  for (let i = 0; i < ctrBytes; i++) out[kidBytes + ctrBytes - i] = Number((ctr >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The header at `offset`; `length` is its size in bytes. Throws SFrameError("header") when the bytes run out. */
export function parseHeader(data: Uint8Array, offset = 0): { kid: bigint; ctr: bigint; length: number } {
  const config = data[offset];
  if (config === undefined) throw new SFrameError("header", "no SFrame header");
  const kidBytes = config & 0x80 ? ((config >> 4) & 0x07) + 1 : 0;
  const ctrBytes = config & 0x08 ? (config & 0x07) + 1 : 0;
  const length = 1 + kidBytes + ctrBytes;
  if (offset + length > data.length) throw new SFrameError("header", "truncated SFrame header");
  const read = (from: number, n: number) => {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(data[from + i]!);
    return v;
  };
  const kid = kidBytes ? read(offset + 1, kidBytes) : BigInt((config >> 4) & 0x07);
  const ctr = ctrBytes ? read(offset + 1 + kidBytes, ctrBytes) : BigInt(config & 0x07);
  return { kid, ctr, length };
}

/** §4.4.3: the salt XOR the counter, big-endian in the nonce's last 8 bytes. */
export function sframeNonce(salt: Uint8Array, ctr: bigint): Uint8Array {
  const nonce = salt.slice(0, NONCE_BYTES);
  for (let i = 0; i < 8; i++) nonce[NONCE_BYTES - 1 - i]! ^= Number((ctr >> BigInt(8 * i)) & 0xffn);
  return nonce;
}

/**
 * The SFrame header and AEAD output separately, so that frames.ts assembles prefix || header || ciphertext in one
 * copy instead of two.
 */
export async function sframeSeal(key: SFrameKey, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): Promise<{ header: Uint8Array; sealed: Uint8Array }> {
  const header = encodeHeader(key.kid, ctr);
  const sealed = await key.aead.seal(sframeNonce(key.salt, ctr), concatBytes(header, metadata), plaintext);
  return { header, sealed };
}

/** header || ciphertext || tag; AAD = header || metadata (RFC 9605 §4.4.3). */
export async function sframeEncrypt(key: SFrameKey, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  const { header, sealed } = await sframeSeal(key, ctr, metadata, plaintext);
  return concatBytes(header, sealed);
}

export async function sframeDecrypt(
  lookup: (kid: bigint) => SFrameKey | undefined,
  metadata: Uint8Array,
  sframe: Uint8Array,
): Promise<{ kid: bigint; ctr: bigint; plaintext: Uint8Array }> {
  const { kid, ctr, length } = parseHeader(sframe);
  if (sframe.length - length < TAG_BYTES) throw new SFrameError("header", "SFrame shorter than its authentication tag");
  const key = lookup(kid);
  if (!key) throw new SFrameError("unknown-key", `no key for KID ${kid}`);
  const plaintext = await key.aead.open(sframeNonce(key.salt, ctr), concatBytes(sframe.subarray(0, length), metadata), sframe.subarray(length));
  if (!plaintext) throw new SFrameError("auth", `SFrame under KID ${kid} did not authenticate`);
  return { kid, ctr, plaintext };
}
