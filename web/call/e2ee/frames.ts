// Whole encoded frames under SFrame: which leading bytes stay in clear, and the protect/unprotect pair the browser's
// encoded transforms call for every audio and video frame.
//
// Layout of a protected frame: prefix || SFrame header || ciphertext || tag. The prefix is the first bytes of the
// encoded frame, left readable because two readers need them before any key could be applied:
// - the SFU (src/rooms/sfu/vp8.ts) reads the VP8 P bit (keyframe or not) of each frame's first packet, and on keyframes
//   the width in bytes 6–9, to switch simulcast layers at a keyframe and to know each layer's size;
// - the receiving Chrome's VP8 depacketizer parses the same bytes (keyframe flag, width and height) when it
//   reassembles the frame, which happens before the receive transform gets to decrypt it.
// So a VP8 keyframe keeps 10 bytes (3-byte frame tag with the P bit, start code 9d 01 2a, 2+2 bytes of width and
// height with their scaling bits) and a delta frame its 3-byte frame tag. Opus audio keeps nothing: no one on the
// path reads into it. The VP8 RTP payload descriptor (picture id, TL0PICIDX) is written by the RTP packetizer,
// outside the encoded frame, so it stays clear without being part of this prefix.
//
// What the prefix gives away: that a frame is a keyframe, its size and its dimensions, which the packet sizes and
// timing show anyway. What it cannot be used for: the prefix is the SFrame metadata, authenticated with the frame
// (AAD), so a server that rewrites it (say, to flip a frame to a keyframe) makes the frame fail to decrypt.
// The receiver finds the prefix length from the P bit in the prefix itself, so nothing else needs to be signalled.
import { concatBytes } from "./key-bytes.ts";
import { SFrameError, type SFrameKey, sframeDecrypt, sframeSeal } from "./sframe.ts";

export type MediaKind = "audio" | "video";

const VP8_KEYFRAME_CLEAR = 10;
const VP8_DELTA_CLEAR = 3;

/** The VP8 layout's prefix length, before capping it at the frame's length. */
function vp8Prefix(frame: Uint8Array): number {
  const tag = frame[0];
  if (tag === undefined) return 0;
  return (tag & 0x01) === 0 ? VP8_KEYFRAME_CLEAR : VP8_DELTA_CLEAR; // P bit: 0 means keyframe (RFC 6386 §9.1)
}

/** Leading bytes of an encoded frame left in clear: VP8 keyframe 10, VP8 delta frame 3, audio (Opus) 0. Never more than the frame's length. */
export function clearBytes(kind: MediaKind, frame: Uint8Array): number {
  return kind === "audio" ? 0 : Math.min(vp8Prefix(frame), frame.length);
}

/**
 * prefix || SFrame(header || ciphertext || tag), the clear prefix authenticated as SFrame metadata (AAD).
 * A video frame shorter than its VP8 prefix (empty, or a keyframe under 10 bytes: not a frame a VP8 encoder emits)
 * throws SFrameError("header"): the receiver could not find where its prefix ends.
 */
export async function protectFrame(key: SFrameKey, ctr: bigint, kind: MediaKind, frame: Uint8Array): Promise<Uint8Array> {
  const clear = clearBytes(kind, frame);
  if (kind === "video" && (frame.length === 0 || clear < vp8Prefix(frame))) {
    throw new SFrameError("header", `VP8 frame of ${frame.length} bytes is shorter than its clear header`);
  }
  const prefix = frame.subarray(0, clear);
  const { header, sealed } = await sframeSeal(key, ctr, prefix, frame.subarray(clear));
  return concatBytes(prefix, header, sealed);
}

/** The inverse; the prefix length is read from the clear bytes themselves (the VP8 P bit). Throws SFrameError. */
export async function unprotectFrame(
  lookup: (kid: bigint) => SFrameKey | undefined,
  kind: MediaKind,
  data: Uint8Array,
): Promise<{ kid: bigint; ctr: bigint; frame: Uint8Array }> {
  const clear = clearBytes(kind, data);
  if (kind === "video" && clear < vp8Prefix(data)) throw new SFrameError("header", `protected VP8 frame of ${data.length} bytes is too short`);
  const prefix = data.subarray(0, clear);
  const { kid, ctr, plaintext } = await sframeDecrypt(lookup, prefix, data.subarray(clear));
  return { kid, ctr, frame: concatBytes(prefix, plaintext) };
}
