import { describe, expect, test } from "bun:test";
import { randomBytes } from "./aead.ts";
import { CHUNK_BYTES, openFile, openFileChunks, sealFile } from "./sealed-file.ts";

const key = randomBytes(32);

describe("sealed files", () => {
  test.each([0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17])("%d bytes round-trip", (size) => {
    const plain = randomBytes(size);
    const sealed = sealFile(key, "f1", plain);
    expect(Buffer.from(openFile(key, "f1", sealed)!)).toEqual(Buffer.from(plain));
    if (size > 64) expect(Buffer.from(sealed).includes(Buffer.from(plain.subarray(0, 64)))).toBe(false);
  });

  test("another file id, a flipped bit, a truncated or extended file, or swapped chunks fail", () => {
    const plain = randomBytes(2 * CHUNK_BYTES + 100);
    const sealed = sealFile(key, "f1", plain);
    expect(openFile(key, "f2", sealed)).toBeNull();
    const flipped = sealed.slice();
    flipped[CHUNK_BYTES + 50]! ^= 1;
    expect(openFile(key, "f1", flipped)).toBeNull();
    const chunkLen = 4 + 1 + 12 + CHUNK_BYTES + 16;
    expect(openFile(key, "f1", sealed.subarray(0, 2 * chunkLen))).toBeNull(); // cut after two whole chunks
    expect(openFile(key, "f1", sealed.subarray(0, sealed.length - 3))).toBeNull();
    const swapped = new Uint8Array(sealed.length);
    swapped.set(sealed.subarray(chunkLen, 2 * chunkLen), 0);
    swapped.set(sealed.subarray(0, chunkLen), chunkLen);
    swapped.set(sealed.subarray(2 * chunkLen), 2 * chunkLen);
    expect(openFile(key, "f1", swapped)).toBeNull();
    const extended = new Uint8Array(sealed.length + chunkLen);
    extended.set(sealed);
    extended.set(sealed.subarray(0, chunkLen), sealed.length);
    expect(openFile(key, "f1", extended)).toBeNull();
  });

  test("opened chunk by chunk through positioned reads: the same bytes, and the same refusals", () => {
    const plain = randomBytes(3 * CHUNK_BYTES + 17);
    const sealed = sealFile(key, "f1", plain);
    const reads: number[] = [];
    const reader = (bytes: Uint8Array) => (at: number, length: number) => {
      reads.push(length);
      return bytes.slice(at, at + length);
    };
    const chunks = [...openFileChunks(key, "f1", sealed.length, reader(sealed))];
    expect(chunks.map((c) => c.length)).toEqual([CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 17]);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(plain));
    expect(Math.max(...reads)).toBeLessThanOrEqual(CHUNK_BYTES + 1 + 12 + 16);
    expect([...openFileChunks(key, "f1", sealFile(key, "f1", new Uint8Array(0)).length, reader(sealFile(key, "f1", new Uint8Array(0))))]).toEqual([new Uint8Array(0)]);
    expect(() => [...openFileChunks(key, "f2", sealed.length, reader(sealed))]).toThrow();
    const cut = sealed.subarray(0, sealed.length - 3);
    expect(() => [...openFileChunks(key, "f1", cut.length, reader(cut))]).toThrow();
    const chunkLen = 4 + 1 + 12 + CHUNK_BYTES + 16;
    const whole = sealed.subarray(0, 2 * chunkLen); // cut after two whole chunks: the second says "more"
    expect(() => [...openFileChunks(key, "f1", whole.length, reader(whole))]).toThrow();
    expect(() => [...openFileChunks(key, "f1", 0, reader(new Uint8Array(0)))]).toThrow();
  });
});
