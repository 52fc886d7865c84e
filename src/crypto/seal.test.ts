import { describe, expect, test } from "bun:test";
import { randomBytes } from "./aead.ts";
import { fieldContext, openBytes, SEAL_V1_AES256GCM, sealBytes } from "./seal.ts";
import { blindIndex, normalizeEmail } from "./blind-index.ts";
import { generateMasterKeyText, parseMasterKey } from "./master-key.ts";

const key = randomBytes(32);
const text = new TextEncoder().encode("Anna Petrova, +7 916 000 00 00");
const here = fieldContext("people", "name", "row-1");

describe("sealed values", () => {
  test("open under the same key and context, and carry the version byte", () => {
    const sealed = sealBytes(key, text, here);
    expect(sealed[0]).toBe(SEAL_V1_AES256GCM);
    expect(sealed.length).toBe(1 + 12 + text.length + 16);
    expect(openBytes(key, sealed, here)).toEqual(text);
  });

  test("two seals of the same value differ (random nonce)", () => {
    expect(sealBytes(key, text, here)).not.toEqual(sealBytes(key, text, here));
  });

  test("fail to open in another row, column or table", () => {
    const sealed = sealBytes(key, text, here);
    expect(openBytes(key, sealed, fieldContext("people", "name", "row-2"))).toBeNull();
    expect(openBytes(key, sealed, fieldContext("people", "email", "row-1"))).toBeNull();
    expect(openBytes(key, sealed, fieldContext("notes", "name", "row-1"))).toBeNull();
  });

  test("fail to open with any single bit flipped, including the version byte", () => {
    const sealed = sealBytes(key, text, here);
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = sealed.slice();
        bad[i]! ^= bit;
        expect(openBytes(key, bad, here)).toBeNull();
      }
    }
  });

  test("fail on truncation, an unknown version or another key", () => {
    const sealed = sealBytes(key, text, here);
    expect(openBytes(key, sealed.subarray(0, 20), here)).toBeNull();
    expect(openBytes(key, new Uint8Array(0), here)).toBeNull();
    const v2 = sealed.slice();
    v2[0] = 0x02;
    expect(openBytes(key, v2, here)).toBeNull();
    expect(openBytes(randomBytes(32), sealed, here)).toBeNull();
  });
});

describe("blind index", () => {
  test("is deterministic per key and column, and differs across keys and columns", () => {
    const k = randomBytes(32);
    const a = blindIndex(k, "people.email", "anna@example.org");
    expect(blindIndex(k, "people.email", "anna@example.org")).toEqual(a);
    expect(blindIndex(k, "people.phone", "anna@example.org")).not.toEqual(a);
    expect(blindIndex(randomBytes(32), "people.email", "anna@example.org")).not.toEqual(a);
    expect(a.length).toBe(32);
  });

  test("emails are normalised before indexing", () => {
    expect(normalizeEmail("  Anna.Petrova@Example.ORG ")).toBe("anna.petrova@example.org");
  });
});

describe("master key", () => {
  test("parses what openssl rand -base64 32 prints, and names it by a stable id", () => {
    const text = generateMasterKeyText();
    const a = parseMasterKey(`${text}\n`);
    const b = parseMasterKey(text);
    expect(a.ok && b.ok && a.value.id === b.value.id && a.value.id.length === 16).toBe(true);
  });

  test("refuses the wrong length or non-base64 text with a reason", () => {
    expect(parseMasterKey(Buffer.from(randomBytes(16)).toString("base64"))).toEqual({ ok: false, problem: "holds 16 bytes, not 32" });
    expect(parseMasterKey("not a key!")).toEqual({ ok: false, problem: "is not base64" });
    expect(parseMasterKey("")).toEqual({ ok: false, problem: "is not base64" });
  });
});
