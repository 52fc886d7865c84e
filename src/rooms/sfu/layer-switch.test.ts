import { describe, expect, test } from "bun:test";
import { LayerSwitch } from "./layer-switch.ts";
import { readVp8 } from "./vp8.ts";

/** A VP8 payload: descriptor with a 15-bit picture id and TL0PICIDX, then a payload header (keyframe or not). */
function vp8(pictureId: number, tl0: number, keyframe: boolean, width = 320, height = 240): Buffer {
  const p = Buffer.alloc(20);
  p[0] = 0x90; // X, S, partition 0
  p[1] = 0xc0; // I, L
  p[2] = 0x80 | (pictureId >> 8);
  p[3] = pictureId & 0xff;
  p[4] = tl0;
  p[5] = keyframe ? 0x00 : 0x01;
  p[8] = 0x9d;
  p[9] = 0x01;
  p[10] = 0x2a;
  p.writeUInt16LE(width, 11);
  p.writeUInt16LE(height, 13);
  return p;
}

describe("VP8 payload descriptor", () => {
  test("a keyframe's start, its picture id, TL0PICIDX and size are read", () => {
    const d = readVp8(vp8(0x1234, 7, true, 640, 480))!;
    expect(d).toMatchObject({ frameStart: true, keyframe: true, pictureIdBits: 15, pictureId: 0x1234, tl0At: 4, width: 640, height: 480 });
    expect(readVp8(vp8(5, 7, false))!.keyframe).toBe(false);
  });

  test("a packet in the middle of a frame is no keyframe start, and a truncated one is not read", () => {
    const middle = vp8(1, 1, true);
    middle[0] = 0x80; // S cleared
    expect(readVp8(middle)!.keyframe).toBe(false);
    expect(readVp8(Buffer.from([0x90, 0x80]))).toBeUndefined();
  });
});

describe("one receiver's view of simulcast layers", () => {
  test("nothing is forwarded before a keyframe of the wanted layer, then its packets keep their numbers", () => {
    const s = new LayerSwitch(1);
    expect(s.accept(1, 500, 9000, vp8(10, 3, false), 0)).toBeUndefined();
    expect(s.accept(0, 800, 1000, vp8(40, 8, true), 0)).toBeUndefined(); // another layer's keyframe
    const first = s.accept(1, 501, 12000, vp8(11, 3, true), 0)!;
    expect(first).toMatchObject({ sequenceNumber: 501, timestamp: 12000, pictureId: 11, tl0PicIdx: 3 });
    expect(s.accept(1, 502, 15000, vp8(12, 3, false), 33)).toMatchObject({ sequenceNumber: 502, timestamp: 15000 });
  });

  test("a switch waits for the new layer's keyframe and continues numbers, timestamps, picture ids without a gap", () => {
    const s = new LayerSwitch(0);
    s.accept(0, 100, 90_000, vp8(7, 1, true), 0);
    s.accept(0, 101, 93_000, vp8(8, 1, false), 33);
    s.target = 1;
    expect(s.waitingForKeyframe).toBe(true);
    // Until layer 1 starts a keyframe, layer 0 goes on.
    expect(s.accept(1, 60_000, 5_000_000, vp8(300, 20, false), 50)).toBeUndefined();
    expect(s.accept(0, 102, 96_000, vp8(9, 1, false), 66)).toMatchObject({ sequenceNumber: 102 });
    const switched = s.accept(1, 60_001, 5_003_000, vp8(301, 21, true), 100)!;
    expect(switched.sequenceNumber).toBe(103);
    expect(switched.timestamp).toBe(96_000 + 34 * 90); // 34 ms after the last packet went out
    expect(switched.pictureId).toBe(10);
    expect(switched.tl0PicIdx).toBe(2);
    expect(s.waitingForKeyframe).toBe(false);
    // The old layer's packets are no longer forwarded; the new one's follow on.
    expect(s.accept(0, 103, 99_000, vp8(10, 1, false), 100)).toBeUndefined();
    expect(s.accept(1, 60_002, 5_006_000, vp8(302, 21, false), 133)).toMatchObject({ sequenceNumber: 104, timestamp: switched.timestamp + 3000, pictureId: 11 });
    // A late packet of the new layer from before its keyframe would reuse the old layer's numbers: not forwarded.
    expect(s.accept(1, 60_000, 5_000_000, vp8(300, 20, false), 140)).toBeUndefined();
  });

  test("numbers wrap around 65535 and 2^32 like RTP's own", () => {
    const s = new LayerSwitch(0);
    s.accept(0, 65_535, 0xffff_fff0, vp8(0x7fff, 255, true), 0);
    s.target = 1;
    const w = s.accept(1, 10, 100, vp8(3, 9, true), 10)!;
    expect(w.sequenceNumber).toBe(0);
    expect(w.timestamp).toBe((0xffff_fff0 + 900) >>> 0);
    expect(w.pictureId).toBe(0);
    expect(w.tl0PicIdx).toBe(0);
  });

  test("padding the SFU adds takes the next numbers; the publisher's own padding leaves no gap", () => {
    const s = new LayerSwitch(0);
    expect(s.insert()).toBeUndefined(); // nothing to continue yet
    s.accept(0, 10, 3000, vp8(1, 1, true), 0);
    expect(s.insert()).toEqual({ sequenceNumber: 11, timestamp: 3000 });
    expect(s.accept(0, 11, 6000, vp8(2, 1, false), 10)!.sequenceNumber).toBe(12);
    s.skip(0, 12); // the publisher's padding-only packet: not forwarded
    expect(s.accept(0, 13, 9000, vp8(3, 1, false), 20)!.sequenceNumber).toBe(13);
  });

  test("a layer forwarded for a long time keeps going past half the sequence space (no freeze after 32,768 packets)", () => {
    const s = new LayerSwitch(0);
    s.accept(0, 0, 0, vp8(0, 0, true), 0);
    const delta = vp8(1, 0, false);
    for (let i = 1; i < 140_000; i++) {
      const seq = i & 0xffff;
      if (!s.accept(0, seq, i * 3000, delta, i)) throw new Error(`packet ${i} (sequence ${seq}) was not forwarded`);
    }
  });

  test("after padding moved the numbers on, a late packet from before it is not forwarded: no number is used twice", () => {
    const used = new Set<number>();
    const take = (n: number | undefined) => {
      if (n === undefined) return;
      expect(used.has(n)).toBe(false);
      used.add(n);
    };
    // The SFU's own padding, then the late retransmission of a packet lost upstream.
    const s = new LayerSwitch(0);
    take(s.accept(0, 97, 0, vp8(1, 0, true), 0)?.sequenceNumber);
    take(s.accept(0, 99, 6000, vp8(3, 0, false), 10)?.sequenceNumber); // 98 lost on the way to the SFU
    take(s.insert()?.sequenceNumber);
    expect(s.accept(0, 98, 3000, vp8(2, 0, false), 20)).toBeUndefined();
    take(s.accept(0, 100, 9000, vp8(4, 0, false), 30)?.sequenceNumber);
    // The publisher's own padding after a loss, then the late retransmission.
    const p = new LayerSwitch(0);
    used.clear();
    take(p.accept(0, 97, 0, vp8(1, 0, true), 0)?.sequenceNumber);
    take(p.accept(0, 99, 6000, vp8(3, 0, false), 10)?.sequenceNumber);
    p.skip(0, 100);
    expect(p.accept(0, 98, 3000, vp8(2, 0, false), 20)).toBeUndefined();
    take(p.accept(0, 101, 9000, vp8(4, 0, false), 30)?.sequenceNumber);
    expect([...used].sort((a, b) => a - b)).toEqual([97, 99, 100]);
  });
});
