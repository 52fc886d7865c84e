import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importAead } from "./aead.ts";
import {
  type Backend,
  deriveSFrameKey,
  deriveSFrameSecrets,
  encodeHeader,
  parseHeader,
  type SFrameKey,
  SFrameError,
  type Suite,
  sframeDecrypt,
  sframeEncrypt,
  sframeNonce,
} from "./sframe.ts";

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const BACKENDS: Backend[] = ["webcrypto", "noble"];

/** The `~~~ test-vectors` blocks of RFC 9605 Appendix C; a value may continue on indented lines. */
function vectors(): Record<string, string>[] {
  const text = readFileSync(join(import.meta.dir, "rfc9605-test-vectors.txt"), "utf8");
  return [...text.matchAll(/~~~ test-vectors\n([\s\S]*?)~~~/g)].map((m) => {
    const v: Record<string, string> = {};
    let last = "";
    for (const line of m[1]!.split("\n")) {
      const field = /^(\w+): (\S+)$/.exec(line);
      if (field) v[(last = field[1]!)] = field[2]!;
      else if (line.trim()) v[last] += line.trim();
    }
    return v;
  });
}
const all = vectors();
const headerVectors = all.filter((v) => "header" in v);
const suiteVectors = all.filter((v) => "cipher_suite" in v);

describe("RFC 9605 C.1 header encoding", () => {
  test("the appendix holds the vectors this test reads", () => {
    expect(headerVectors.length).toBe(289);
    expect(suiteVectors.map((v) => v.cipher_suite)).toEqual(["0x0004", "0x0005"]);
  });

  test("every vector encodes to its bytes and parses back", () => {
    for (const v of headerVectors) {
      const kid = BigInt(v.kid!);
      const ctr = BigInt(v.ctr!);
      expect(toHex(encodeHeader(kid, ctr))).toBe(v.header!);
      const bytes = hex(v.header!);
      expect(parseHeader(bytes)).toEqual({ kid, ctr, length: bytes.length });
      // after a metadata prefix, with payload behind
      const framed = new Uint8Array([7, 7, ...bytes, 1, 2, 3]);
      expect(parseHeader(framed, 2)).toEqual({ kid, ctr, length: bytes.length });
    }
  });

  test("a truncated or missing header is refused", () => {
    for (const v of headerVectors) {
      const bytes = hex(v.header!);
      for (let cut = 0; cut < bytes.length; cut++) {
        expect(() => parseHeader(bytes.subarray(0, cut))).toThrow(SFrameError);
      }
    }
    expect(() => parseHeader(new Uint8Array([0x99, 1, 2]), 0)).toThrow("truncated SFrame header");
    expect(() => parseHeader(new Uint8Array([0x10]), 1)).toThrow("no SFrame header");
  });

  test("values outside 64 bits cannot be encoded", () => {
    expect(() => encodeHeader(1n << 64n, 0n)).toThrow(RangeError);
    expect(() => encodeHeader(0n, -1n)).toThrow(RangeError);
  });
});

describe.each(BACKENDS)("RFC 9605 C.4 AES-GCM suites, %s backend", (backend) => {
  for (const v of suiteVectors) {
    const suite = Number(v.cipher_suite) as Suite;
    const kid = BigInt(v.kid!);
    const ctr = BigInt(v.ctr!);

    test(`suite ${v.cipher_suite}: key derivation, nonce and ciphertext are the published bytes`, async () => {
      const secrets = await deriveSFrameSecrets(hex(v.base_key!), kid, suite);
      expect(toHex(secrets.secret)).toBe(v.sframe_secret!);
      expect(toHex(secrets.key)).toBe(v.sframe_key!);
      expect(toHex(secrets.salt)).toBe(v.sframe_salt!);
      expect(toHex(sframeNonce(secrets.salt, ctr))).toBe(v.nonce!);

      // the AEAD alone, on the vector's own nonce and AAD
      const aead = await importAead(backend, secrets.key);
      const header = encodeHeader(kid, ctr);
      expect(toHex(new Uint8Array([...header, ...hex(v.metadata!)]))).toBe(v.aad!);
      const sealed = await aead.seal(hex(v.nonce!), hex(v.aad!), hex(v.pt!));
      expect(toHex(header) + toHex(sealed)).toBe(v.ct!);

      const key = await deriveSFrameKey(hex(v.base_key!), kid, suite, backend);
      expect(key.backend).toBe(backend);
      const ct = await sframeEncrypt(key, ctr, hex(v.metadata!), hex(v.pt!));
      expect(toHex(ct)).toBe(v.ct!);
      const opened = await sframeDecrypt((k) => (k === kid ? key : undefined), hex(v.metadata!), hex(v.ct!));
      expect(opened.kid).toBe(kid);
      expect(opened.ctr).toBe(ctr);
      expect(toHex(opened.plaintext)).toBe(v.pt!);
    });
  }
});

describe.each(BACKENDS)("SFrame encrypt/decrypt, %s backend", (backend) => {
  const baseKey = hex("000102030405060708090a0b0c0d0e0f");
  const metadata = hex("9d012a");
  const keyFor = (kid: bigint, base = baseKey, suite: Suite = 0x0004) => deriveSFrameKey(base, kid, suite, backend);
  const only = (key: SFrameKey) => (kid: bigint) => (kid === key.kid ? key : undefined);

  test("round trips sizes from empty to 30 KB, both suites, small and large counters", async () => {
    for (const suite of [0x0004, 0x0005] as const) {
      const key = await keyFor(0x1234n, baseKey, suite);
      for (const [size, ctr] of [[0, 0n], [1, 7n], [17, 8n], [1100, 65_536n], [30_000, (1n << 64n) - 1n]] as const) {
        const pt = crypto.getRandomValues(new Uint8Array(size));
        const ct = await sframeEncrypt(key, ctr, metadata, pt);
        expect(ct.length).toBe(encodeHeader(key.kid, ctr).length + size + 16);
        const out = await sframeDecrypt(only(key), metadata, ct);
        expect(out.ctr).toBe(ctr);
        expect(out.plaintext).toEqual(pt);
      }
    }
  });

  test("the two backends read each other's frames", async () => {
    const other: Backend = backend === "noble" ? "webcrypto" : "noble";
    const mine = await keyFor(3n);
    const theirs = await deriveSFrameKey(baseKey, 3n, 0x0004, other);
    const pt = crypto.getRandomValues(new Uint8Array(1100));
    const ct = await sframeEncrypt(mine, 42n, metadata, pt);
    expect(ct).toEqual(await sframeEncrypt(theirs, 42n, metadata, pt));
    expect((await sframeDecrypt(only(theirs), metadata, ct)).plaintext).toEqual(pt);
  });

  test("a wrong base key, changed metadata or a flipped bit fail authentication", async () => {
    const key = await keyFor(5n);
    const ct = await sframeEncrypt(key, 1n, metadata, new Uint8Array(100).fill(1));
    const wrong = await keyFor(5n, hex("ff0102030405060708090a0b0c0d0e0f"));
    await expect(sframeDecrypt(only(wrong), metadata, ct)).rejects.toMatchObject({ reason: "auth" });
    await expect(sframeDecrypt(only(key), hex("9d012b"), ct)).rejects.toMatchObject({ reason: "auth" });
    await expect(sframeDecrypt(only(key), new Uint8Array(0), ct)).rejects.toMatchObject({ reason: "auth" });
    for (const at of [1, 50, ct.length - 1]) {
      const bad = ct.slice();
      bad[at]! ^= 0x01;
      await expect(sframeDecrypt(only(key), metadata, bad)).rejects.toMatchObject({ reason: "auth" });
    }
    // a counter changed in the header: the nonce and the AAD both differ
    const moved = ct.slice();
    moved[0] = (moved[0]! & 0xf8) | 2;
    await expect(sframeDecrypt(only(key), metadata, moved)).rejects.toMatchObject({ reason: "auth" });
  });

  test("a key looked up for another KID does not open the frame", async () => {
    const k5 = await keyFor(5n);
    const k6 = await keyFor(6n);
    const ct = await sframeEncrypt(k5, 1n, metadata, new Uint8Array(10));
    await expect(sframeDecrypt(() => k6, metadata, ct)).rejects.toMatchObject({ reason: "auth" });
  });

  test("an unknown KID is reported as such, a frame without a whole tag as a header error", async () => {
    const key = await keyFor(5n);
    const ct = await sframeEncrypt(key, 1n, metadata, new Uint8Array(10));
    await expect(sframeDecrypt(() => undefined, metadata, ct)).rejects.toMatchObject({ reason: "unknown-key" });
    await expect(sframeDecrypt(only(key), metadata, new Uint8Array(0))).rejects.toMatchObject({ reason: "header" });
    await expect(sframeDecrypt(only(key), metadata, ct.subarray(0, 1 + 15))).rejects.toMatchObject({ reason: "header" });
    await expect(sframeDecrypt(only(key), metadata, hex("ff0102"))).rejects.toMatchObject({ reason: "header" });
  });
});
