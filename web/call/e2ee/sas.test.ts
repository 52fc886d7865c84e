import { describe, expect, test } from "bun:test";
import { fromBase64url, toBase64url } from "./key-bytes.ts";
import { commitment, computeSas, type SasInput, sasIndexes } from "./sas.ts";
import { SAS_EMOJI } from "./sas-emoji.ts";

// Expected values computed apart from this code (Python hashlib over the same length-prefixed fields), so the byte
// layout of the SAS input is pinned: two browsers running different builds must still agree.
const input: SasInput = {
  roomId: "room-1",
  initiator: { id: "alice", pk: Uint8Array.from([4, ...Array.from({ length: 64 }, (_, i) => i + 1)]) },
  responder: { id: "bob", pk: Uint8Array.from([4, ...Array.from({ length: 64 }, (_, i) => i + 65)]) },
  nI: new Uint8Array(32).fill(0xaa),
  nR: new Uint8Array(32).fill(0x55),
};

describe("short authentication string", () => {
  test("takes the first 36 bits of the hash as six pictures (independent vector)", async () => {
    expect(await sasIndexes(input)).toEqual([61, 40, 41, 7, 30, 22]);
    const code = await computeSas(input);
    expect(code.names.en).toEqual(["Headphones", "Gift", "Light bulb", "Rabbit", "Smiley", "Fire"]);
    expect(code.names.ru).toEqual(["Наушники", "Подарок", "Лампочка", "Кролик", "Улыбка", "Огонь"]);
    expect(code.emoji).toEqual(["🎧", "🎁", "💡", "🐰", "😀", "🔥"]);
  });

  test("the commitment is SHA-256(pkI || nI) (independent vector)", async () => {
    const c = await commitment(input.initiator.pk, input.nI);
    expect(Buffer.from(c).toString("hex")).toBe("89ae688d4de3b5de1e69457e648c9c97346357ed16805cc7dfe55fe15bb8e19f");
  });

  test("every field changes the code: room, ids, keys, nonces", async () => {
    const base = (await sasIndexes(input)).join();
    const flip = (b: Uint8Array): Uint8Array => Uint8Array.from(b, (x, i) => (i === b.length - 1 ? x ^ 1 : x));
    const variants: SasInput[] = [
      { ...input, roomId: "room-2" },
      { ...input, initiator: { ...input.initiator, id: "alicf" } },
      { ...input, responder: { ...input.responder, pk: flip(input.responder.pk) } },
      { ...input, initiator: { ...input.initiator, pk: flip(input.initiator.pk) } },
      { ...input, nI: flip(input.nI) },
      { ...input, nR: flip(input.nR) },
      // Moving a character between adjacent fields must not give the same input (length prefixes).
      { ...input, roomId: "room-1a", initiator: { ...input.initiator, id: "lice" } },
    ];
    for (const v of variants) expect((await sasIndexes(v)).join()).not.toBe(base);
  });

  test("the six values spread over all 64 pictures", async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      for (const x of await sasIndexes({ ...input, nR: crypto.getRandomValues(new Uint8Array(32)) })) seen.add(x);
    }
    expect(seen.size).toBe(64);
  });
});

describe("the picture list", () => {
  test("64 distinct pictures and distinct spoken names in both languages", () => {
    expect(SAS_EMOJI.length).toBe(64);
    expect(new Set(SAS_EMOJI.map((e) => e.emoji)).size).toBe(64);
    expect(new Set(SAS_EMOJI.map((e) => e.en.toLowerCase())).size).toBe(64);
    expect(new Set(SAS_EMOJI.map((e) => e.ru.toLowerCase())).size).toBe(64);
  });

  test("each picture is one grapheme; no Russian name is a word of another (ключ / гаечный ключ)", () => {
    const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });
    for (const e of SAS_EMOJI) expect([...segmenter.segment(e.emoji)].length).toBe(1);
    const words = SAS_EMOJI.map((e) => e.ru.toLowerCase().split(" "));
    for (const [i, a] of words.entries()) {
      for (const [j, b] of words.entries()) if (i !== j) expect(a.some((w) => b.includes(w))).toBe(false);
    }
  });

  test("pictures that default to text presentation ask for emoji presentation (U+FE0F)", () => {
    for (const e of SAS_EMOJI) {
      const first = e.emoji.codePointAt(0)!;
      if (first < 0x2600 || first > 0x27bf) continue;
      const emojiByDefault = [0x26bd, 0x2693, 0x2b50].includes(first);
      if (!emojiByDefault) expect(e.emoji.endsWith("\uFE0F")).toBe(true);
    }
  });
});

describe("base64url", () => {
  test("round-trips and refuses padding, other alphabets and non-canonical tails", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(65));
    expect(fromBase64url(toBase64url(bytes))).toEqual(bytes);
    expect(toBase64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    for (const bad of ["-_8=", "+/8", "-_9", "a", "ab cd"]) expect(fromBase64url(bad)).toBeNull();
  });
});
