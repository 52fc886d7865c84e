// The measured loop of the end-to-end encryption benchmark, the same code in Bun and in a Chromium Worker
// (bundled by e2ee.ts): protect then unprotect one video frame after another, each awaited before the next, as an
// encoded transform handles a stream's frames. Browser-safe: no Bun or node: APIs.
import { protectFrame, unprotectFrame } from "../../web/call/e2ee/frames.ts";
import { type Backend, deriveSFrameKey } from "../../web/call/e2ee/sframe.ts";

export interface FrameRun {
  backend: Backend;
  bytes: number;
  /** At least this many frames, and on until at least `minMs` have passed. */
  minFrames: number;
  minMs: number;
}

/** A VP8 frame of `bytes`: a 960x540 keyframe header (10 clear bytes) from 10 KB up, else a delta frame tag (3). */
export function vp8Frame(bytes: number): Uint8Array {
  const frame = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65_536) crypto.getRandomValues(frame.subarray(at, Math.min(bytes, at + 65_536)));
  const keyframe = bytes >= 10_000;
  frame[0] = (frame[0]! & 0xfe) | (keyframe ? 0 : 1);
  if (keyframe) frame.set([0x9d, 0x01, 0x2a, 960 & 0xff, 960 >> 8, 540 & 0xff, 540 >> 8], 3);
  return frame;
}

/** Microseconds per frame for protect + unprotect, and the frames it took. Throws if a frame does not round-trip. */
export async function measureFrames(run: FrameRun): Promise<{ microsPerFrame: number; frames: number }> {
  const key = await deriveSFrameKey(new Uint8Array(16).fill(7), 1n, 0x0004, run.backend);
  const lookup = (kid: bigint) => (kid === key.kid ? key : undefined);
  const frame = vp8Frame(run.bytes);
  let ctr = 0n;
  const start = performance.now();
  let frames = 0;
  while (frames < run.minFrames || performance.now() - start < run.minMs) {
    const data = await protectFrame(key, ctr++, "video", frame);
    const back = await unprotectFrame(lookup, "video", data);
    if (back.frame.length !== frame.length) throw new Error("frame did not round-trip");
    frames++;
  }
  return { microsPerFrame: ((performance.now() - start) * 1000) / frames, frames };
}
