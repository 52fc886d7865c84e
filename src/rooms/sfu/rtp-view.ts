// One RTP packet as the SFU's forwarding path reads it: the plaintext datagram (after SRTP decryption) and the few
// header fields forwarding needs, read once. Both ways a packet arrives produce it: the SFU's own ingress
// (fast-ingress.ts, which decrypts and parses nothing more than this) and werift's receive path (`fromWerift`, used
// until the own ingress is up and where it does not apply).
//
// RFC 3550 §5.1 fixed header: V P X CC | M PT | sequence number | timestamp | SSRC, then CSRCs, then the extension
// block (RFC 8285), then the payload (and padding when P is set).
import type { RtpPacket } from "werift";

export interface RtpView {
  /** The whole plaintext datagram; `header` and `payload` are views into it. */
  readonly packet: Buffer;
  /** Header bytes as received: fixed header, CSRCs and the extension block. */
  readonly header: Buffer;
  /** Payload without padding. */
  readonly payload: Buffer;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly marker: boolean;
  /** The simulcast layer's name (RTP stream id extension, RFC 8852) when the packet carries one. */
  readonly rid?: string;
}

/** The header-extension ids a publisher negotiated, by what the forwarding path needs. */
export interface ExtensionIds {
  rid?: number;
  repairedRid?: number;
  mid?: number;
}

export const RTP_HEADER_BYTES = 12;

/** Reads a plaintext RTP datagram; undefined when it is not one (too short, wrong version, lengths that overrun). */
export function readRtp(packet: Buffer, ids: ExtensionIds = {}): RtpView | undefined {
  if (packet.length < RTP_HEADER_BYTES || packet[0]! >> 6 !== 2) return undefined;
  const b0 = packet[0]!;
  let end = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
  let rid: string | undefined;
  if (b0 & 0x10) {
    if (packet.length < end + 4) return undefined;
    const profile = packet.readUInt16BE(end);
    const words = packet.readUInt16BE(end + 2);
    const start = end + 4;
    end = start + words * 4;
    if (packet.length < end) return undefined;
    if (ids.rid !== undefined) rid = extensionString(packet, profile, start, end, ids.rid);
  }
  let last = packet.length;
  if (b0 & 0x20) {
    const padding = packet[packet.length - 1]!;
    if (padding === 0 || end + padding > packet.length) return undefined;
    last -= padding;
  }
  return {
    packet,
    header: packet.subarray(0, end),
    payload: packet.subarray(end, last),
    ssrc: packet.readUInt32BE(8),
    payloadType: packet[1]! & 0x7f,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    marker: (packet[1]! & 0x80) !== 0,
    rid,
  };
}

/** The value of one extension in a one-byte (0xBEDE) or two-byte (0x100x) extension block, as text. */
function extensionString(packet: Buffer, profile: number, start: number, end: number, id: number): string | undefined {
  const oneByte = profile === 0xbede;
  if (!oneByte && profile >> 4 !== 0x100) return undefined;
  let i = start;
  while (i < end) {
    const b = packet[i]!;
    if (b === 0) {
      i++; // padding between elements
      continue;
    }
    let elementId: number;
    let length: number;
    if (oneByte) {
      elementId = b >> 4;
      length = (b & 0x0f) + 1;
      if (elementId === 15) return undefined; // reserved: stop reading (RFC 8285 §4.2)
      i += 1;
    } else {
      if (i + 1 >= end) return undefined;
      elementId = b;
      length = packet[i + 1]!;
      i += 2;
    }
    if (i + length > end) return undefined;
    if (elementId === id) return packet.toString("latin1", i, i + length);
    i += length;
  }
  return undefined;
}

/** The same view of a packet werift already parsed (its receive path, before the SFU's own ingress is up). */
export function fromWerift(rtp: RtpPacket, ids: ExtensionIds = {}): RtpView | undefined {
  return readRtp(rtp.serialize(), ids);
}
