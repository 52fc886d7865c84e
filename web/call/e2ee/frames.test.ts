import { describe, expect, test } from "bun:test";
import { readVp8 } from "../../../src/rooms/sfu/vp8.ts";
import { clearBytes, protectFrame, unprotectFrame } from "./frames.ts";
import { type Backend, deriveSFrameKey, encodeHeader, type SFrameKey, SFrameError } from "./sframe.ts";

const BASE_KEY = new Uint8Array(16).map((_, i) => i * 7);

/**
 * A VP8 frame as an encoder writes it (RFC 6386 §9.1): frame tag, and on a keyframe the start code and size; cut
 * to `size` bytes when that is shorter.
 */
function vp8Frame(opts: { keyframe: boolean; size: number; width?: number; height?: number }): Uint8Array {
  const frame = crypto.getRandomValues(new Uint8Array(Math.max(opts.size, 10)));
  const firstPartition = 200;
  // P bit (0 = keyframe), version 0, show_frame 1, 19 bits of first partition size; little-endian
  const tag = (firstPartition << 5) | (1 << 4) | (opts.keyframe ? 0 : 1);
  frame.set([tag & 0xff, (tag >> 8) & 0xff, (tag >> 16) & 0xff]);
  if (opts.keyframe) {
    const w = opts.width ?? 960;
    const h = opts.height ?? 540;
    frame.set([0x9d, 0x01, 0x2a, w & 0xff, w >> 8, h & 0xff, h >> 8], 3);
  }
  return frame.slice(0, opts.size);
}

/** The first RTP packet's VP8 payload as the SFU sees it: a 1-byte descriptor (S=1, partition 0), then the frame. */
const firstPacketPayload = (data: Uint8Array) => new Uint8Array([0x10, ...data.subarray(0, 1100)]);


describe("clear bytes of an encoded frame", () => {
  test("VP8 keyframe 10, delta frame 3, Opus audio 0", () => {
    expect(clearBytes("video", vp8Frame({ keyframe: true, size: 30_000 }))).toBe(10);
    expect(clearBytes("video", vp8Frame({ keyframe: false, size: 1100 }))).toBe(3);
    expect(clearBytes("audio", new Uint8Array([0xfc, 1, 2, 3]))).toBe(0);
  });

  test("never more than the frame", () => {
    expect(clearBytes("video", new Uint8Array(0))).toBe(0);
    expect(clearBytes("video", vp8Frame({ keyframe: true, size: 10 }))).toBe(10);
    expect(clearBytes("video", vp8Frame({ keyframe: true, size: 6 }))).toBe(6);
    expect(clearBytes("video", vp8Frame({ keyframe: false, size: 2 }))).toBe(2);
    expect(clearBytes("audio", new Uint8Array(0))).toBe(0);
  });
});

describe.each(["webcrypto", "noble"] as Backend[])("protected frames, %s backend", (backend) => {
  const keyOf = (kid: bigint, base = BASE_KEY) => deriveSFrameKey(base, kid, 0x0004, backend);
  const only = (key: SFrameKey) => (kid: bigint) => (kid === key.kid ? key : undefined);

  test("a 960x540 keyframe keeps its 10 clear bytes: the SFU still reads keyframe and size; the rest is ciphertext", async () => {
    const key = await keyOf(2n);
    const frame = vp8Frame({ keyframe: true, size: 30_000 });
    const data = await protectFrame(key, 77n, "video", frame);
    expect(data.length).toBe(frame.length + encodeHeader(2n, 77n).length + 16);
    expect(data.subarray(0, 10)).toEqual(frame.subarray(0, 10));
    expect(data.subarray(10, 12)).toEqual(encodeHeader(2n, 77n));
    expect(data.subarray(12, 12 + 64)).not.toEqual(frame.subarray(10, 10 + 64));
    const seen = readVp8(firstPacketPayload(data));
    expect(seen).toMatchObject({ frameStart: true, keyframe: true, width: 960, height: 540 });

    const out = await unprotectFrame(only(key), "video", data);
    expect(out).toEqual({ kid: 2n, ctr: 77n, frame });
  });

  test("a delta frame keeps its 3-byte frame tag", async () => {
    const key = await keyOf(2n);
    const frame = vp8Frame({ keyframe: false, size: 1100 });
    const data = await protectFrame(key, 78n, "video", frame);
    expect(data.subarray(0, 3)).toEqual(frame.subarray(0, 3));
    expect(readVp8(firstPacketPayload(data))).toMatchObject({ frameStart: true, keyframe: false, width: undefined });
    expect((await unprotectFrame(only(key), "video", data)).frame).toEqual(frame);
  });

  test("audio is encrypted whole, including empty and 1-byte frames", async () => {
    const key = await keyOf(9n);
    for (const size of [0, 1, 3, 160]) {
      const frame = crypto.getRandomValues(new Uint8Array(size));
      const data = await protectFrame(key, BigInt(size), "audio", frame);
      expect(data.subarray(0, 1)).toEqual(encodeHeader(9n, BigInt(size)).subarray(0, 1));
      expect((await unprotectFrame(only(key), "audio", data)).frame).toEqual(frame);
    }
  });

  test("the smallest whole VP8 frames round trip: a bare 10-byte keyframe, a bare 3-byte delta frame", async () => {
    const key = await keyOf(1n);
    for (const frame of [vp8Frame({ keyframe: true, size: 10 }), vp8Frame({ keyframe: false, size: 3 })]) {
      const data = await protectFrame(key, 5n, "video", frame);
      expect((await unprotectFrame(only(key), "video", data)).frame).toEqual(frame);
    }
  });

  test("a video frame shorter than its clear header cannot be protected", async () => {
    const key = await keyOf(1n);
    for (const frame of [new Uint8Array(0), vp8Frame({ keyframe: true, size: 9 }), vp8Frame({ keyframe: false, size: 2 })]) {
      await expect(protectFrame(key, 5n, "video", frame)).rejects.toMatchObject({ reason: "header" });
    }
  });

  test("changing any clear byte makes the frame fail authentication", async () => {
    const key = await keyOf(4n);
    const frame = vp8Frame({ keyframe: true, size: 1100 });
    const data = await protectFrame(key, 1n, "video", frame);
    for (const [at, bit] of [[0, 0x10], [2, 0x80], [3, 0x01], [6, 0x01], [7, 0x02], [9, 0x01]] as const) {
      const bad = data.slice();
      bad[at]! ^= bit;
      await expect(unprotectFrame(only(key), "video", bad)).rejects.toMatchObject({ reason: "auth" });
    }
    const delta = await protectFrame(key, 2n, "video", vp8Frame({ keyframe: false, size: 1100 }));
    const bad = delta.slice();
    bad[1]! ^= 0x01;
    await expect(unprotectFrame(only(key), "video", bad)).rejects.toMatchObject({ reason: "auth" });
  });

  test("a flipped P bit moves where the receiver looks for the SFrame header: the frame does not decrypt", async () => {
    // keyframe -> delta: the header is read from the start code (9d: a 2-byte KID 0x012a, which has no key);
    // delta -> keyframe: 7 ciphertext bytes are taken as clear, so the header is wrong or the tag fails; with a key
    // for every KID, what remains is the tag failing
    const key = await keyOf(4n);
    for (const keyframe of [true, false]) {
      const data = await protectFrame(key, 1n, "video", vp8Frame({ keyframe, size: 1100 }));
      data[0]! ^= 0x01;
      await expect(unprotectFrame(only(key), "video", data)).rejects.toBeInstanceOf(SFrameError);
      await expect(unprotectFrame(() => key, "video", data)).rejects.toMatchObject({ reason: expect.stringMatching(/^(auth|header)$/) });
    }
  });

  test("a wrong key, an unknown KID, a cut or garbage frame are refused with their reason", async () => {
    const key = await keyOf(4n);
    const frame = vp8Frame({ keyframe: false, size: 1100 });
    const data = await protectFrame(key, 1n, "video", frame);
    const wrong = await keyOf(4n, new Uint8Array(16).fill(1));
    await expect(unprotectFrame(only(wrong), "video", data)).rejects.toMatchObject({ reason: "auth" });
    await expect(unprotectFrame(() => undefined, "video", data)).rejects.toMatchObject({ reason: "unknown-key" });
    await expect(unprotectFrame(only(key), "video", data.subarray(0, data.length - 1))).rejects.toMatchObject({ reason: "auth" });
    await expect(unprotectFrame(only(key), "video", data.subarray(0, 3 + 1 + 15))).rejects.toMatchObject({ reason: "header" });
    await expect(unprotectFrame(only(key), "video", data.subarray(0, 3))).rejects.toMatchObject({ reason: "header" });
    await expect(unprotectFrame(only(key), "video", new Uint8Array(0))).rejects.toMatchObject({ reason: "header" });
    await expect(unprotectFrame(only(key), "audio", new Uint8Array([0xff]))).rejects.toMatchObject({ reason: "header" });
    // an unencrypted VP8 frame, as a browser without E2EE would send it: its byte after the tag reads as a
    // header whose KID has no key, or as a frame that does not authenticate
    await expect(unprotectFrame(only(key), "video", frame)).rejects.toBeInstanceOf(SFrameError);
  });
});
