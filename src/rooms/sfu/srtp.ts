// The SFU's own SRTP for RTP packets (RFC 3711, RFC 7714), for the two profiles werift negotiates with browsers:
// SRTP_AEAD_AES_128_GCM (preferred; what Chrome picks) and SRTP_AES128_CM_HMAC_SHA1_80. RTCP (SRTCP) stays with werift.
//
// What it protects: media between a browser and the SFU. An SRTP packet whose authentication tag does not verify is
// refused (`unprotectRtp` returns undefined) before anything reads its payload or updates the rollover state, so a
// forged or corrupted packet cannot move the stream's packet index; so is a packet whose index was already received
// or is more than REPLAY_WINDOW behind the newest (RFC 3711 §3.3.2: a replayed packet, or a publisher's second
// retransmission of one packet). Invariants: one context per direction and DTLS session (the keys come from the DTLS
// handshake, RFC 5764 §4.2); the packet index (ROC ‖ SEQ) of a stream is estimated as RFC 3711 §3.3.1 says and
// advanced, with the replay list, only by authenticated packets.
//
// Why not werift's SrtpSession: it parses each header twice through string-based bit code and builds several buffers
// per packet (stack notes). Here a packet costs one native cipher call and, for decryption, no allocation beyond the
// cipher's own output: the plaintext is written back into the datagram it came from unless an `out` buffer is given.
// node:crypto has no way to re-key a GCM cipher object with a new IV, so each packet creates one: measured under
// Bun 1.4.5 on the 2-core VM, `createDecipheriv("aes-128-gcm")` ~1.4–2.6 µs (a KeyObject key was no faster), a whole
// 1100-byte GCM unprotect ~3.8–4.5 µs against ~17–24 µs for werift's decrypt and parse.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { RTP_HEADER_BYTES } from "./rtp-view.ts";

/** Streams (SSRCs) one direction of a session may carry. */
export const MAX_STREAMS = 32;
export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AEAD_AES_128_GCM = 0x0007;
export type SrtpProfile = typeof SRTP_AES128_CM_HMAC_SHA1_80 | typeof SRTP_AEAD_AES_128_GCM;

/** Packets: libwebrtc's window for SRTP (a late retransmission is still in it: ~3.6 s of 2.5 Mbit/s video). */
export const REPLAY_WINDOW = 1024;
const GCM_TAG_BYTES = 16;
const HMAC_TAG_BYTES = 10;

/** Session keys of one direction, derived once from the DTLS-exported master key and salt. */
export interface SrtpContext {
  readonly profile: SrtpProfile;
  readonly tagBytes: number;
  readonly key: Buffer;
  /** 14 bytes; AES-GCM uses the first 12 (RFC 7714 §8.1). */
  readonly salt: Buffer;
  /** HMAC-SHA1 keyed with the session's auth key (AES-CM profile only), copied per packet: Bun's keyed hasher copy
   *  measured ~2.3 µs per 1100-byte packet against ~7.6 µs for node:crypto's `createHmac`, which re-keys each time. */
  readonly hmac?: Bun.CryptoHasher;
  /** Scratch for the HMAC-SHA1 output (64 bytes: Bun's `digest(into)` wants room for its largest hash). */
  readonly tag: Buffer;
  /** Per SSRC: rollover counter and highest sequence number seen (RFC 3711 §3.3.1 `ROC`, `s_l`). */
  readonly streams: Map<number, StreamIndex>;
  /** Why `unprotectRtp` last returned undefined. */
  refusal?: "malformed" | "tag" | "replay";
  /** Scratch for the 16-byte IV / counter block and its first 12 bytes (the GCM IV), reused by every packet: under
   *  Bun each Buffer view costs ~0.4 µs, a noticeable share of a packet's ~4 µs. */
  readonly iv: Buffer;
  readonly gcmIV: Buffer;
  /** Scratch for a received GCM tag. */
  readonly receivedTag: Buffer;
  readonly roc: Buffer;
}

interface StreamIndex {
  roc: number;
  highest: number;
  /** Received packets (decryption only): the index last received at each slot (index % REPLAY_WINDOW), and the
   *  newest index. */
  seen?: Float64Array;
  newest?: number;
}

/** A context from a master key and salt (RFC 3711 §4.3 key derivation, key derivation rate 0). */
export function createSrtpContext(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array): SrtpContext {
  if (profile !== SRTP_AES128_CM_HMAC_SHA1_80 && profile !== SRTP_AEAD_AES_128_GCM) throw new Error(`unsupported SRTP profile ${profile}`);
  if (masterKey.length !== 16) throw new Error("SRTP master key must be 16 bytes");
  const gcm = profile === SRTP_AEAD_AES_128_GCM;
  const iv = Buffer.alloc(16);
  return {
    profile,
    tagBytes: gcm ? GCM_TAG_BYTES : HMAC_TAG_BYTES,
    key: deriveSessionKey(masterKey, masterSalt, 0x00, 16),
    salt: deriveSessionKey(masterKey, masterSalt, 0x02, 14),
    hmac: gcm ? undefined : new Bun.CryptoHasher("sha1", deriveSessionKey(masterKey, masterSalt, 0x01, 20)),
    tag: Buffer.alloc(64),
    streams: new Map(),
    iv,
    gcmIV: iv.subarray(0, 12),
    receivedTag: Buffer.alloc(GCM_TAG_BYTES),
    roc: Buffer.alloc(4),
  };
}

/**
 * RFC 3711 §4.3.1: the session key for `label` is the AES-CM keystream under the master key, starting at
 * (label << 48 XOR master salt) << 16. A 12-byte AES-GCM master salt is padded to 14 bytes at its end, as libsrtp
 * (and so Chrome) and werift do.
 */
export function deriveSessionKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, bytes: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.set(masterSalt.subarray(0, 14));
  iv[7]! ^= label;
  const cipher = createCipheriv("aes-128-ctr", masterKey, iv);
  return cipher.update(Buffer.alloc(bytes));
}

/**
 * RFC 3711 §3.3.1 (and its Appendix A): the rollover counter a packet with sequence number `seq` most probably
 * belongs to, given the stream's current ROC and highest sequence number. -1 means "before the stream's first
 * packet", which a sender that starts its index at 0 (RFC 3711 §3.3.1) never sends.
 */
export function estimateROC(roc: number, highest: number, seq: number): number {
  if (highest < 0x8000) return seq - highest > 0x8000 ? roc - 1 : roc;
  return highest - 0x8000 > seq ? (roc + 1) >>> 0 : roc;
}

/** Advances a stream's index after an authenticated packet (RFC 3711 §3.3.1: only forward, only when verified). */
function advance(stream: StreamIndex, roc: number, seq: number): void {
  if (roc === stream.roc) {
    if (seq > stream.highest) stream.highest = seq;
  } else if (roc === ((stream.roc + 1) >>> 0)) {
    stream.roc = roc;
    stream.highest = seq;
  }
}

/** Length of the RTP header (fixed part, CSRCs, extension block), or -1 when the lengths overrun `end`. */
export function rtpHeaderLength(packet: Uint8Array, end: number): number {
  if (end < RTP_HEADER_BYTES) return -1;
  const b0 = packet[0]!;
  let length = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (end < length + 4) return -1;
    length += 4 + ((packet[length + 2]! << 8) | packet[length + 3]!) * 4;
  }
  return length <= end ? length : -1;
}

/**
 * Decrypts and authenticates one SRTP packet. Returns the plaintext RTP datagram (header and payload, padding kept),
 * written into `out` (by default the SRTP buffer itself, in place), or undefined when the packet is malformed, its
 * tag does not verify or it is a replay (`context.refusal` says which). A refused packet is left as it came and
 * leaves the stream's state as it was.
 */
export function unprotectRtp(context: SrtpContext, srtp: Buffer, out: Buffer = srtp): Buffer | undefined {
  const tagBytes = context.tagBytes;
  const end = srtp.length - tagBytes;
  const headerLength = (srtp[0]! & 0xc0) === 0x80 ? rtpHeaderLength(srtp, end) : -1;
  const ssrc = headerLength < 0 ? 0 : srtp.readUInt32BE(8);
  const seq = (srtp[2]! << 8) | srtp[3]!;
  let stream = context.streams.get(ssrc);
  const roc = stream ? estimateROC(stream.roc, stream.highest, seq) : 0;
  // A browser sends a handful of streams (audio, up to three layers, their retransmissions); a client with the keys
  // could send packets under ever new SSRCs, each costing a replay list: past MAX_STREAMS a new SSRC is refused.
  if (headerLength < 0 || out.length < end || roc < 0 || (!stream && context.streams.size >= MAX_STREAMS)) return refuse(context, "malformed");
  const index = roc * 0x10000 + seq;
  const seen = stream?.seen;
  if (seen && (index <= stream!.newest! - REPLAY_WINDOW || seen[index % REPLAY_WINDOW] === index)) return refuse(context, "replay");
  const header = srtp.subarray(0, headerLength);
  const cipherText = srtp.subarray(headerLength, end);
  let plain: Buffer;
  if (context.profile === SRTP_AEAD_AES_128_GCM) {
    const decipher = createDecipheriv("aes-128-gcm", context.key, gcmIV(context, ssrc, roc, seq));
    decipher.setAAD(header);
    srtp.copy(context.receivedTag, 0, end);
    decipher.setAuthTag(context.receivedTag);
    plain = decipher.update(cipherText);
    try {
      decipher.final();
    } catch {
      return refuse(context, "tag");
    }
  } else {
    if (!tagMatches(authTag(context, srtp.subarray(0, end), roc), srtp, end)) return refuse(context, "tag");
    plain = createDecipheriv("aes-128-ctr", context.key, ctrIV(context, ssrc, roc, seq)).update(cipherText);
  }
  if (!stream) context.streams.set(ssrc, (stream = { roc, highest: seq }));
  else advance(stream, roc, seq);
  const window = (stream.seen ??= new Float64Array(REPLAY_WINDOW).fill(-1));
  window[index % REPLAY_WINDOW] = index;
  if (!(index <= stream.newest!)) stream.newest = index;
  if (out !== srtp) header.copy(out);
  plain.copy(out, headerLength);
  return out.subarray(0, end);
}

function refuse(context: SrtpContext, why: NonNullable<SrtpContext["refusal"]>): undefined {
  context.refusal = why;
  return undefined;
}

/**
 * Encrypts one RTP packet given as its header bytes (as they go on the wire, e.g. rewritten in place by the egress)
 * and its payload. Returns the SRTP datagram, written into `out` when it is large enough, else into a new buffer.
 */
export function protectRtp(context: SrtpContext, header: Buffer, payload: Buffer, out?: Buffer): Buffer {
  const size = header.length + payload.length + context.tagBytes;
  const dst = out && out.length >= size ? out.subarray(0, size) : Buffer.allocUnsafe(size);
  const ssrc = header.readUInt32BE(8);
  const seq = header.readUInt16BE(2);
  const stream = context.streams.get(ssrc);
  const roc = stream ? Math.max(0, estimateROC(stream.roc, stream.highest, seq)) : 0;
  if (!stream) context.streams.set(ssrc, { roc, highest: seq });
  else advance(stream, roc, seq);
  if (dst !== header) header.copy(dst);
  const payloadEnd = header.length + payload.length;
  if (context.profile === SRTP_AEAD_AES_128_GCM) {
    const cipher = createCipheriv("aes-128-gcm", context.key, gcmIV(context, ssrc, roc, seq));
    cipher.setAAD(header);
    cipher.update(payload).copy(dst, header.length);
    cipher.final();
    cipher.getAuthTag().copy(dst, payloadEnd);
  } else {
    createCipheriv("aes-128-ctr", context.key, ctrIV(context, ssrc, roc, seq)).update(payload).copy(dst, header.length);
    authTag(context, dst.subarray(0, payloadEnd), roc).copy(dst, payloadEnd, 0, HMAC_TAG_BYTES);
  }
  return dst;
}

/** The header fields an SFU rewrites per receiver. */
export interface ForwardedHeader {
  ssrc: number;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
}

/**
 * Protects a received packet for one receiver under a rewritten header, into `out` (e.g. the egress's cache slot for
 * this sequence number, at least header + payload + 16 bytes; else a new buffer). Kept from the received header: the
 * version, marker and CSRCs. Dropped: the header extensions, which carry the publisher's negotiated ids (its mid and
 * rid would name the wrong stream at the receiver), and the padding (`payload` has none). `payload` may already sit
 * in `out` after the header (at 12 + 4 × CSRC count), for a payload rewritten per receiver (a VP8 picture id).
 */
export function protectForwarded(context: SrtpContext, packet: Buffer, payload: Buffer, header: ForwardedHeader, out?: Buffer): Buffer {
  const headerLength = RTP_HEADER_BYTES + (packet[0]! & 0x0f) * 4;
  const size = headerLength + payload.length + context.tagBytes;
  const dst = out && out.length >= size ? out : Buffer.allocUnsafe(size);
  packet.copy(dst, 0, 0, headerLength);
  dst[0] = dst[0]! & ~0x30; // no padding, no extension block
  dst[1] = (dst[1]! & 0x80) | header.payloadType;
  dst.writeUInt16BE(header.sequenceNumber, 2);
  dst.writeUInt32BE(header.timestamp >>> 0, 4);
  dst.writeUInt32BE(header.ssrc >>> 0, 8);
  return protectRtp(context, dst.subarray(0, headerLength), payload, dst);
}

/** RFC 3711 §4.2: HMAC-SHA1 over the authenticated portion and the ROC, in scratch (the tag is its first 80 bits). */
function authTag(context: SrtpContext, authenticated: Buffer, roc: number): Buffer {
  const hmac = context.hmac!.copy();
  hmac.update(authenticated);
  context.roc.writeUInt32BE(roc);
  hmac.update(context.roc);
  hmac.digest(context.tag);
  return context.tag;
}

/** Compares the first HMAC_TAG_BYTES of `tag` with the packet's tag at `at`, in constant time. */
function tagMatches(tag: Buffer, packet: Buffer, at: number): boolean {
  let diff = 0;
  for (let i = 0; i < HMAC_TAG_BYTES; i++) diff |= tag[i]! ^ packet[at + i]!;
  return diff === 0;
}

/** RFC 7714 §8.1: IV = (00 00 ‖ SSRC ‖ ROC ‖ SEQ) XOR salt, 12 bytes. */
function gcmIV(context: SrtpContext, ssrc: number, roc: number, seq: number): Buffer {
  const iv = context.gcmIV;
  iv.writeUInt16BE(0, 0);
  iv.writeUInt32BE(ssrc, 2);
  iv.writeUInt32BE(roc, 6);
  iv.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) iv[i]! ^= context.salt[i]!;
  return iv;
}

/** RFC 3711 §4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16), 16 bytes. */
function ctrIV(context: SrtpContext, ssrc: number, roc: number, seq: number): Buffer {
  const iv = context.iv;
  iv.writeUInt32BE(0, 0);
  iv.writeUInt32BE(ssrc, 4);
  iv.writeUInt32BE(roc, 8);
  iv.writeUInt16BE(seq, 12);
  iv.writeUInt16BE(0, 14);
  for (let i = 0; i < 14; i++) iv[i]! ^= context.salt[i]!;
  return iv;
}

/** Both directions of a DTLS-SRTP session: `inbound` decrypts what the peer sends, `outbound` encrypts what we send. */
export interface SrtpContexts {
  inbound: SrtpContext;
  outbound: SrtpContext;
}

/** The master keys werift's DTLS transport exported for its SrtpSession (werift 0.25 `srtp.config`). */
export interface WeriftSrtpConfig {
  profile: number;
  keys: { localMasterKey: Uint8Array; localMasterSalt: Uint8Array; remoteMasterKey: Uint8Array; remoteMasterSalt: Uint8Array };
}

/** Contexts keyed like a werift DTLS transport's SRTP session (after DTLS connected), or undefined for a profile this
 *  module does not handle. */
export function srtpContextsFromWerift(config: WeriftSrtpConfig | undefined): SrtpContexts | undefined {
  const profile = config?.profile;
  if (profile !== SRTP_AES128_CM_HMAC_SHA1_80 && profile !== SRTP_AEAD_AES_128_GCM) return undefined;
  const { keys } = config!;
  return {
    inbound: createSrtpContext(profile, keys.remoteMasterKey, keys.remoteMasterSalt),
    outbound: createSrtpContext(profile, keys.localMasterKey, keys.localMasterSalt),
  };
}
