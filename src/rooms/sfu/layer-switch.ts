// What one receiver gets of one publisher's simulcast video: packets of a single layer at a time, renumbered so that
// the receiver sees one continuous stream. Each layer has its own SSRC, sequence numbers, RTP timestamps and VP8
// picture ids; a switch happens only where the new layer starts a keyframe (a decoder can start there), and from then
// on the new layer's numbers are shifted to continue the old ones: no gap the receiver would ask to be resent, no jump
// back in time its jitter buffer would stall on. Packets the SFU adds itself (padding to probe the link) take numbers
// from the same sequence.
//
// Pure state, no I/O: the caller reads the packet, asks `accept`, and writes the returned numbers into its copy.
import { readVp8, type Vp8Descriptor } from "./vp8.ts";

export interface Rewrite {
  sequenceNumber: number;
  timestamp: number;
  /** The VP8 descriptor when the picture id or TL0PICIDX must be rewritten in the payload. */
  vp8?: Vp8Descriptor;
  pictureId: number;
  tl0PicIdx: number;
}

const RTP_CLOCK_PER_MS = 90; // video
const newer16 = (a: number, b: number): boolean => a !== b && ((a - b) & 0xffff) < 0x8000;
const FLOOR_LAG = 4_096; // packets: a reordered or retransmitted packet older than this is not forwarded

export class LayerSwitch {
  /** The layer being forwarded, -1 before the first keyframe. */
  current = -1;
  /** The layer wanted; packets of it are taken from its next keyframe on. */
  target: number;
  /** Packets of the current layer older than this are not forwarded: under today's offset their numbers were given
   *  to other packets (the previous layer's, or padding). It follows the newest packet at most 4,096 behind. */
  private floor = 0;
  /** The newest packet of the current layer. */
  private newestIn = 0;
  private seqOffset = 0;
  private tsOffset = 0;
  private picOffset = 0;
  private tl0Offset = 0;
  private lastSeq = 0;
  private lastTs = 0;
  private lastPic = 0;
  private lastTl0 = 0;
  private lastAtMs = 0;
  private started = false;

  constructor(target = 0) {
    this.target = target;
  }

  /** Whether the receiver waits for a keyframe of the target layer (the caller asks the publisher for one). */
  get waitingForKeyframe(): boolean {
    return this.current !== this.target;
  }

  /** The receiver's numbers for a packet of `layer`, or undefined when it must not be forwarded to them. */
  accept(layer: number, sequenceNumber: number, timestamp: number, payload: Uint8Array, nowMs: number): Rewrite | undefined {
    const vp8 = readVp8(payload);
    if (layer !== this.current) {
      if (layer !== this.target || !vp8?.keyframe) return undefined;
      this.switchTo(layer, sequenceNumber, timestamp, vp8, payload, nowMs);
    } else if (newer16(this.floor, sequenceNumber)) {
      return undefined; // from before the keyframe this layer started at, or before padding moved the numbers on
    }
    if (newer16(sequenceNumber, this.newestIn)) {
      this.newestIn = sequenceNumber;
      if (((sequenceNumber - this.floor) & 0xffff) > FLOOR_LAG) this.floor = (sequenceNumber - FLOOR_LAG) & 0xffff;
    }
    const out: Rewrite = {
      sequenceNumber: (sequenceNumber + this.seqOffset) & 0xffff,
      timestamp: (timestamp + this.tsOffset) >>> 0,
      vp8: vp8 && (vp8.pictureIdBits === 15 || vp8.tl0At >= 0) ? vp8 : undefined,
      pictureId: vp8 ? (vp8.pictureId + this.picOffset) & 0x7fff : 0,
      tl0PicIdx: vp8 && vp8.tl0At >= 0 ? (payload[vp8.tl0At]! + this.tl0Offset) & 0xff : 0,
    };
    if (newer16(out.sequenceNumber, this.lastSeq) || !this.started) {
      this.started = true;
      this.lastSeq = out.sequenceNumber;
      this.lastTs = out.timestamp;
      this.lastAtMs = nowMs;
      if (vp8) {
        this.lastPic = out.pictureId;
        this.lastTl0 = out.tl0PicIdx;
      }
    }
    return out;
  }

  /**
   * A packet of the current layer that will not be forwarded (padding the publisher sent to probe its own link): when
   * it is the next one, later packets move down by one so the receiver sees no gap, and anything older that still
   * arrives (a late retransmission) is no longer forwarded, since its number would now be another packet's.
   */
  skip(layer: number, sequenceNumber: number): void {
    if (layer !== this.current || !this.started || sequenceNumber !== ((this.newestIn + 1) & 0xffff)) return;
    this.seqOffset = (this.seqOffset - 1) & 0xffff;
    this.newestIn = sequenceNumber;
    this.floor = (sequenceNumber + 1) & 0xffff;
  }

  /** Numbers for a packet the SFU adds itself after the newest one (padding); undefined before the first packet.
   *  Older packets of the layer are no longer forwarded after it (their numbers would collide). */
  insert(): { sequenceNumber: number; timestamp: number } | undefined {
    if (!this.started || this.current < 0) return undefined;
    this.lastSeq = (this.lastSeq + 1) & 0xffff;
    this.seqOffset = (this.seqOffset + 1) & 0xffff;
    this.floor = (this.newestIn + 1) & 0xffff;
    return { sequenceNumber: this.lastSeq, timestamp: this.lastTs };
  }

  private switchTo(layer: number, sequenceNumber: number, timestamp: number, vp8: Vp8Descriptor, payload: Uint8Array, nowMs: number): void {
    if (this.started) {
      // Continue the old numbering: the next sequence number, time moved on by the wall-clock gap (at least one tick),
      // the next picture id and TL0PICIDX.
      const elapsed = Math.max(1, Math.round((nowMs - this.lastAtMs) * RTP_CLOCK_PER_MS));
      this.seqOffset = (this.lastSeq + 1 - sequenceNumber) & 0xffff;
      this.tsOffset = (this.lastTs + elapsed - timestamp) >>> 0;
      this.picOffset = (this.lastPic + 1 - vp8.pictureId) & 0x7fff;
      if (vp8.tl0At >= 0) this.tl0Offset = (this.lastTl0 + 1 - payload[vp8.tl0At]!) & 0xff;
    }
    this.current = layer;
    this.floor = sequenceNumber;
    this.newestIn = sequenceNumber;
  }
}
