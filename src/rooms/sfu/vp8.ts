// The few things the SFU reads in a VP8 RTP payload (RFC 7741): whether a packet starts a keyframe (a receiver can
// switch to another simulcast layer only there), the picture's size on a keyframe, and where the picture id and
// TL0PICIDX sit, which each receiver's copy rewrites so that a switch between layers looks like one continuous stream.
//
// Payload descriptor: |X|R|N|S|R|PID| then, if X: |I|L|T|K|RSV|, then I: picture id (7 or 15 bits, M flag),
// L: TL0PICIDX, T|K: |TID|Y|KEYIDX|. Then the VP8 payload header: bit 0 of its first byte is 0 on a keyframe, and a
// keyframe's frame tag is followed by the start code 9d 01 2a and 14-bit width and height (RFC 6386 §9.1).

export interface Vp8Descriptor {
  /** The packet starts a frame's first partition (S set and partition id 0). */
  readonly frameStart: boolean;
  readonly keyframe: boolean;
  /** Offset of the picture id in the payload and its width in bits (0 when absent). */
  readonly pictureIdAt: number;
  readonly pictureIdBits: 0 | 7 | 15;
  readonly pictureId: number;
  /** Offset of TL0PICIDX in the payload, -1 when absent. */
  readonly tl0At: number;
  /** Where the VP8 payload (the encoded frame's bytes) starts, after the descriptor. */
  readonly payloadAt: number;
  /** Width and height on the first packet of a keyframe. */
  readonly width?: number;
  readonly height?: number;
}

export function readVp8(payload: Uint8Array): Vp8Descriptor | undefined {
  if (payload.length < 1) return undefined;
  const b0 = payload[0]!;
  let i = 1;
  let pictureIdAt = 0;
  let pictureIdBits: 0 | 7 | 15 = 0;
  let pictureId = 0;
  let tl0At = -1;
  if (b0 & 0x80) {
    if (payload.length < 2) return undefined;
    const x = payload[1]!;
    i = 2;
    if (x & 0x80) {
      if (payload.length < i + 1) return undefined;
      pictureIdAt = i;
      if (payload[i]! & 0x80) {
        if (payload.length < i + 2) return undefined;
        pictureIdBits = 15;
        pictureId = ((payload[i]! & 0x7f) << 8) | payload[i + 1]!;
        i += 2;
      } else {
        pictureIdBits = 7;
        pictureId = payload[i]! & 0x7f;
        i += 1;
      }
    }
    if (x & 0x40) tl0At = i++;
    if (x & 0x30) i++;
  }
  if (payload.length <= i) return undefined;
  const frameStart = (b0 & 0x10) !== 0 && (b0 & 0x07) === 0;
  const keyframe = frameStart && (payload[i]! & 0x01) === 0;
  let width: number | undefined;
  let height: number | undefined;
  if (keyframe && payload.length >= i + 10 && payload[i + 3] === 0x9d && payload[i + 4] === 0x01 && payload[i + 5] === 0x2a) {
    width = (payload[i + 6]! | (payload[i + 7]! << 8)) & 0x3fff;
    height = (payload[i + 8]! | (payload[i + 9]! << 8)) & 0x3fff;
  }
  return { frameStart, keyframe, pictureIdAt, pictureIdBits, pictureId, tl0At, payloadAt: i, width, height };
}

/** Writes a picture id in place, in the width the packet already uses. */
export function writePictureId(payload: Uint8Array, d: Vp8Descriptor, pictureId: number): void {
  if (d.pictureIdBits === 15) {
    payload[d.pictureIdAt] = 0x80 | ((pictureId >> 8) & 0x7f);
    payload[d.pictureIdAt + 1] = pictureId & 0xff;
  } else if (d.pictureIdBits === 7) {
    payload[d.pictureIdAt] = pictureId & 0x7f;
  }
}
