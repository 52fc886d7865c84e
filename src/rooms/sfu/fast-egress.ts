// The SFU's own egress for forwarded RTP: per packet and receiver, the received header is copied with this receiver's
// SSRC, payload type, sequence number and timestamp (and without the publisher's header extensions), SRTP-protected
// with the receiver's session keys by the SFU's own SRTP (srtp.ts), and sent synchronously on the nominated UDP pair.
// werift keeps everything else (ICE, DTLS, RTCP). Its own sender path clones each packet, rebuilds header extensions,
// formats an NTP time through strings and awaits four promises per packet before the socket (stack notes: the larger
// part of its per-packet cost); this path does none of that.
//
// Kept correct: a NACK from the receiver is answered from this path's own cache of protected packets (video only:
// audio negotiates no NACK); sender reports carry the packet and octet counts and an NTP/RTP timestamp pair taken
// from the same packet, so receivers keep audio and video in sync. Until the receiver's DTLS is up nothing can be
// sent (werift would drop the packets too): they are dropped and counted.
import type { RTCRtpSender } from "werift";
import type { RtpView } from "./rtp-view.ts";
import { type MediaKind, sfuStats } from "./sfu-stats.ts";
import { protectForwarded, protectRtp, type SrtpContext, srtpContextsFromWerift, type WeriftSrtpConfig } from "./srtp.ts";

const CACHE_SIZE = 256; // packets: about 1.5 s of the top layer at 1.5 Mbit/s, for retransmissions
const SLOT_BYTES = 1_500; // room for any packet that fits a UDP datagram on an Ethernet path, tag included
const SCRATCH_SLOTS = 16; // audio: no cache, a few buffers in turn (a send through node:dgram completes later)
const NTP_EPOCH_MS = Date.UTC(1900, 0, 1);
const SR_PAIR_EVERY_MS = 100;

/** The werift internals this path reads and updates (present in werift 0.25; checked at run time). */
interface SenderInternals {
  stopped: boolean;
  ssrc: number;
  codec?: { payloadType: number };
  dtlsTransport?: {
    state: string;
    srtp?: { config?: WeriftSrtpConfig };
    bytesSent: number;
    packetsSent: number;
    iceTransport: { connection: IceConnection };
  };
  packetCount: number;
  octetCount: number;
  rtpTimestamp: number;
  ntpTimestamp: bigint;
  runRtcp(): Promise<void>;
  onGenericNack: { subscribe(f: (nack: { lost: number[] }) => void): { unSubscribe(): void } };
}

interface IceConnection {
  nominated?: {
    protocol: { type: string; transport?: { closed: boolean; socket: { send(data: Buffer, port: number, address: string): void } } };
    remoteAddr: [string, number];
    packetsSent: number;
    bytesSent: number;
  };
  canSendApplicationData(): boolean;
}

/** Packets by what became of them, since start (for tests and the benchmark). */
export const egressCounts = { fast: 0, notYet: 0, retransmitted: 0, direct: 0, viaDgram: 0, refused: 0 };

/**
 * What this server forwards, payload by payload, as it forwards it. Nobody listens in production; the end-to-end
 * encryption test listens to show that the media server holds ciphertext only (beyond the few clear bytes).
 */
export const egressTap: { listener: ((ssrc: number, payloadType: number, payload: Uint8Array) => void) | null } = { listener: null };

export interface FastEgress {
  /** Sends a received packet to this receiver under its own sequence number and timestamp. */
  forward(view: RtpView, sequenceNumber: number, timestamp: number): void;
  /** Whether a packet went out under this sequence number lately (video: the retransmission cache knows). */
  sent(sequenceNumber: number): boolean;
  /** Sends a padding-only packet (probing the receiver's link); false when it cannot yet. */
  pad(sequenceNumber: number, timestamp: number, bytes: number): boolean;
  close(): void;
}

/** `retransmit`: keep sent packets to answer NACKs (only for streams that negotiated NACK: video, not audio);
 *  `kind`: what the metrics count the packets as. */
export function fastEgress(sender: RTCRtpSender, options: { retransmit: boolean; kind: MediaKind }): FastEgress {
  const s = sender as unknown as SenderInternals;
  const forwarded = sfuStats.forwarded[options.kind];
  // Each protected packet is written into a buffer kept for its slot and reused 256 packets later, not allocated anew:
  // the allocation churn of one buffer per packet and receiver showed in the SFU's profile (collector pauses).
  const slots = options.retransmit ? CACHE_SIZE : SCRATCH_SLOTS;
  const buffers: (Buffer | undefined)[] = new Array(slots);
  const cache: (Buffer | undefined)[] = options.retransmit ? new Array(CACHE_SIZE) : [];
  const cacheSeq = options.retransmit ? new Int32Array(CACHE_SIZE).fill(-1) : new Int32Array(0);
  let scratch = 0;
  let started = false;
  let lastPairAt = 0;
  let keyedFor: object | undefined;
  let context: SrtpContext | undefined;

  /** The receiver's session once its DTLS is up (a new one after an ICE restart brings new DTLS keys). */
  const ready = (): { conn: IceConnection; context: SrtpContext; payloadType: number } | undefined => {
    const dtls = s.dtlsTransport;
    if (s.stopped || !dtls || dtls.state !== "connected" || !s.codec) return undefined;
    const config = dtls.srtp?.config;
    if (!config) return undefined;
    if (keyedFor !== config) {
      keyedFor = config;
      context = srtpContextsFromWerift(config)?.outbound;
    }
    return context ? { conn: dtls.iceTransport.connection, context, payloadType: s.codec.payloadType } : undefined;
  };

  const sendOnPair = (conn: IceConnection, data: Buffer): boolean => {
    const pair = conn.nominated;
    const transport = pair?.protocol.type === "stun" ? pair.protocol.transport : undefined;
    if (!pair || !transport) return false;
    if (transport.closed || !conn.canSendApplicationData()) return false;
    const [address, port] = pair.remoteAddr;
    // Bun's node:dgram resolves even an IP literal through an asynchronous lookup before sending; its own UDP socket
    // underneath sends at once. Used when present (Bun 1.4), else the node:dgram call.
    const direct = bunUdpSocket(transport.socket);
    try {
      if (direct?.send(data, port, address)) egressCounts.direct++;
      else {
        transport.socket.send(data, port, address);
        egressCounts.viaDgram++;
      }
    } catch {
      // The kernel refused this datagram (ENOBUFS: the interface's queue is full; EPERM: a firewall dropped it). On
      // UDP that is a lost packet, as on the wire: the receiver asks again or the next layer decision deals with it.
      egressCounts.refused++;
    }
    pair.packetsSent++;
    pair.bytesSent += data.length;
    const dtls = s.dtlsTransport!;
    dtls.bytesSent += data.length;
    dtls.packetsSent++;
    return true;
  };

  const nack = !options.retransmit
    ? undefined
    : s.onGenericNack?.subscribe(({ lost }) => {
        sfuStats.nacks++;
        const on = ready();
        if (!on) return;
        for (const seq of lost) {
          const i = seq % CACHE_SIZE;
          const packet = cacheSeq[i] === seq ? cache[i] : undefined;
          if (packet && sendOnPair(on.conn, packet)) egressCounts.retransmitted++;
        }
      });

  return {
    forward(view, sequenceNumber, timestamp) {
      const on = ready();
      if (!on) {
        egressCounts.notYet++;
        return;
      }
      const header = { ssrc: s.ssrc, payloadType: on.payloadType, sequenceNumber, timestamp };
      egressTap.listener?.(s.ssrc, on.payloadType, view.payload);
      const slot = options.retransmit ? sequenceNumber % CACHE_SIZE : (scratch = (scratch + 1) % SCRATCH_SLOTS);
      // Never two packets under one number: the receiver would drop one, and under SRTP the same index is the same
      // keystream (and, with AES-GCM, the authentication key) used twice. A publisher's duplicate is simply not resent.
      if (options.retransmit && cacheSeq[slot] === sequenceNumber) return;
      const out = (buffers[slot] ??= Buffer.allocUnsafe(SLOT_BYTES));
      const packet = protectForwarded(on.context, view.packet, view.payload, header, out);
      if (options.retransmit) {
        cache[slot] = packet;
        cacheSeq[slot] = sequenceNumber;
      }
      if (!sendOnPair(on.conn, packet)) return;
      egressCounts.fast++;
      forwarded.packets++;
      forwarded.bytes += packet.length;
      s.packetCount = (s.packetCount + 1) >>> 0;
      s.octetCount = (s.octetCount + view.payload.length) >>> 0;
      const now = performance.timeOrigin + performance.now();
      if (now - lastPairAt >= SR_PAIR_EVERY_MS) {
        lastPairAt = now;
        s.rtpTimestamp = timestamp;
        s.ntpTimestamp = ntp(now);
      }
      if (!started) {
        started = true;
        void s.runRtcp();
      }
    },
    sent(sequenceNumber) {
      return options.retransmit && cacheSeq[sequenceNumber % CACHE_SIZE] === sequenceNumber;
    },
    pad(sequenceNumber, timestamp, bytes) {
      const on = ready();
      if (!on) return false;
      // RFC 3550 §5.1: P set, the payload all padding, its last byte the count.
      const header = Buffer.alloc(12);
      header[0] = 0xa0;
      header[1] = on.payloadType;
      header.writeUInt16BE(sequenceNumber, 2);
      header.writeUInt32BE(timestamp >>> 0, 4);
      header.writeUInt32BE(s.ssrc >>> 0, 8);
      const padding = Buffer.alloc(bytes);
      padding[bytes - 1] = bytes;
      return sendOnPair(on.conn, protectRtp(on.context, header, padding));
    },
    close() {
      nack?.unSubscribe();
    },
  };
}

/** An NTP timestamp (RFC 5905: seconds since 1900 and a 32-bit binary fraction) of a Unix time in milliseconds. */
export function ntp(unixMs: number): bigint {
  const ms = unixMs - NTP_EPOCH_MS;
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000);
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}

type DirectSocket = { send(data: Buffer, port: number, address: string): boolean; closed?: boolean };
const directSockets = new WeakMap<object, DirectSocket | null>();

/** The Bun UDP socket inside a node:dgram socket (an internal of Bun's node:dgram), or null. */
function bunUdpSocket(socket: object): DirectSocket | null {
  let direct = directSockets.get(socket);
  if (direct === undefined) {
    const state = Object.getOwnPropertySymbols(socket).find((sym) => sym.description === "state symbol");
    const candidate = state ? (socket as Record<symbol, { handle?: { socket?: DirectSocket } }>)[state]?.handle?.socket : undefined;
    direct = candidate && typeof candidate.send === "function" ? candidate : null;
    directSockets.set(socket, direct);
  }
  return direct && !direct.closed ? direct : null;
}
