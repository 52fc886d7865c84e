import { describe, expect, test } from "bun:test";
import { gcm } from "@noble/ciphers/aes.js";
import { decryptAES256GCM, encryptAES256GCM, randomBytes } from "./aead.ts";

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

// "The Galois/Counter Mode of Operation (GCM)", McGrew & Viega, test case 16 (AES-256, 60-byte text, 20-byte AAD).
const TC16 = {
  key: hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
  iv: hex("cafebabefacedbaddecaf888"),
  pt: hex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  ),
  aad: hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
  ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
  tag: "76fc6ece0f4e1768cddf8853bb2d551b",
};

describe("AES-256-GCM", () => {
  test("matches the published test vector", () => {
    const out = encryptAES256GCM(TC16.key, TC16.iv, TC16.pt, TC16.aad);
    expect(Buffer.from(out).toString("hex")).toBe(TC16.ct + TC16.tag);
    expect(decryptAES256GCM(TC16.key, TC16.iv, out, TC16.aad)).toEqual(TC16.pt);
  });

  test("produces the same bytes as @noble/ciphers for many sizes", () => {
    for (const size of [0, 1, 15, 16, 17, 64, 1000, 4096]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const pt = randomBytes(size);
      const aad = randomBytes(size % 40);
      const native = encryptAES256GCM(key, nonce, pt, aad);
      expect(Buffer.from(native)).toEqual(Buffer.from(gcm(key, nonce, aad).encrypt(pt)));
      expect(Buffer.from(gcm(key, nonce, aad).decrypt(new Uint8Array(native)))).toEqual(Buffer.from(pt));
    }
  });

  test("refuses a wrong key, wrong associated data, a flipped bit or a short input", () => {
    const out = encryptAES256GCM(TC16.key, TC16.iv, TC16.pt, TC16.aad);
    expect(decryptAES256GCM(randomBytes(32), TC16.iv, out, TC16.aad)).toBeNull();
    expect(decryptAES256GCM(TC16.key, TC16.iv, out, hex("00"))).toBeNull();
    for (const i of [0, 30, out.length - 1]) {
      const bad = out.slice();
      bad[i]! ^= 0x01;
      expect(decryptAES256GCM(TC16.key, TC16.iv, bad, TC16.aad)).toBeNull();
    }
    expect(decryptAES256GCM(TC16.key, TC16.iv, out.subarray(0, 10), TC16.aad)).toBeNull();
  });
});
