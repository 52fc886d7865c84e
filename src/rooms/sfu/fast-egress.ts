// The SFU's own egress for forwarded RTP: per packet and receiver, rewrite SSRC and payload type in place, SRTP-encrypt
// with the receiver's session, and send synchronously on the nominated UDP pair. werift keeps everything else (ICE,
// DTLS, RTCP, the publisher side). Its own sender path clones each packet, rebuilds header extensions, formats an
// NTP time through strings and awaits four promises per packet before the socket (stack notes: the larger part of its
// per-packet cost); this path does none of that.
//
// Kept correct: a NACK from the receiver is answered from this path's own cache of encrypted packets (werift's cache
// stays empty, so it sends nothing twice); sender reports carry the packet and octet counts and an NTP/RTP timestamp
// pair taken from the same packet, so receivers keep audio and video in sync. Until DTLS is up, and for pairs relayed
// through TURN, packets take werift's path instead.
import type { RTCRtpSender, RtpPacket } from "werift";

const CACHE_SIZE = 512; // packets: over a second of video at 1 Mbps, for retransmissions
const NTP_EPOCH_MS = Date.UTC(1900, 0, 1);
const SR_PAIR_EVERY_MS = 100;

/** The werift internals this path reads and updates (present in werift 0.25; checked at run time). */
interface SenderInternals {
  stopped: boolean;
  ssrc: number;
  codec?: { payloadType: number };
  dtlsTransport?: {
    state: string;
    srtp?: { encrypt(payload: Buffer, header: RtpPacket["header"]): Buffer };
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

/** Packets sent by this path and handed to werift's instead, since start (for tests and the benchmark). */
export const egressCounts = { fast: 0, werift: 0, retransmitted: 0, direct: 0, refused: 0 };

export interface FastEgress {
  /** True when the packet was sent (or deliberately dropped); false: use werift's path for this one. */
  forward(rtp: RtpPacket): boolean;
  /** Sends a padding-only packet (probing the receiver's link) on this path; false when it cannot yet. */
  pad(header: RtpPacket["header"], payload: Buffer): boolean;
  close(): void;
}

/** `retransmit`: keep sent packets to answer NACKs (only for streams that negotiated NACK: video, not audio). */
export function fastEgress(sender: RTCRtpSender, options: { retransmit: boolean }): FastEgress {
  const s = sender as unknown as SenderInternals;
  const cache: (Buffer | undefined)[] = options.retransmit ? new Array(CACHE_SIZE) : [];
  const cacheSeq = options.retransmit ? new Int32Array(CACHE_SIZE).fill(-1) : new Int32Array(0);
  let started = false;
  let lastPairAt = 0;

  const sendOnPair = (conn: IceConnection, data: Buffer): boolean => {
    const pair = conn.nominated;
    const transport = pair?.protocol.type === "stun" ? pair.protocol.transport : undefined;
    if (!pair || !transport) return false;
    if (transport.closed || !conn.canSendApplicationData()) return true; // nothing may be sent on it: drop
    const [address, port] = pair.remoteAddr;
    // Bun's node:dgram resolves even an IP literal through an asynchronous lookup before sending; its own UDP socket
    // underneath sends at once. Used when present (Bun 1.4), else the node:dgram call.
    const direct = bunUdpSocket(transport.socket);
    try {
      if (direct?.send(data, port, address)) egressCounts.direct++;
      else transport.socket.send(data, port, address);
    } catch {
      // The kernel refused this datagram (ENOBUFS: the interface's queue is full; EPERM: a firewall dropped it). On
      // UDP that is a lost packet, as on the wire: the receiver asks again or the next layer decision deals with it.
      egressCounts.refused++;
      return true;
    }
    pair.packetsSent++;
    pair.bytesSent += data.length;
    return true;
  };

  const nack = !options.retransmit ? undefined : s.onGenericNack?.subscribe(({ lost }) => {
    const dtls = s.dtlsTransport;
    if (!dtls || s.stopped) return;
    for (const seq of lost) {
      const i = seq % CACHE_SIZE;
      const packet = cacheSeq[i] === seq ? cache[i] : undefined;
      if (packet && sendOnPair(dtls.iceTransport.connection, packet)) egressCounts.retransmitted++;
    }
  });

  const werift = (): false => {
    egressCounts.werift++;
    return false;
  };

  return {
    forward(rtp) {
      if (s.stopped) return true;
      const dtls = s.dtlsTransport;
      const codec = s.codec;
      if (!dtls || dtls.state !== "connected" || !dtls.srtp || !codec) return werift();
      const conn = dtls.iceTransport.connection;
      if (conn.nominated?.protocol.type !== "stun") return werift();
      const h = rtp.header;
      const ssrc = h.ssrc;
      const payloadType = h.payloadType;
      h.ssrc = s.ssrc;
      h.payloadType = codec.payloadType;
      let packet: Buffer;
      try {
        packet = dtls.srtp.encrypt(rtp.payload, h);
      } finally {
        h.ssrc = ssrc;
        h.payloadType = payloadType;
      }
      if (options.retransmit) {
        const i = h.sequenceNumber % CACHE_SIZE;
        cache[i] = packet;
        cacheSeq[i] = h.sequenceNumber;
      }
      if (!sendOnPair(conn, packet)) return werift();
      egressCounts.fast++;
      dtls.bytesSent += packet.length;
      dtls.packetsSent++;
      s.packetCount = (s.packetCount + 1) >>> 0;
      s.octetCount = (s.octetCount + rtp.payload.length) >>> 0;
      const now = performance.timeOrigin + performance.now();
      if (now - lastPairAt >= SR_PAIR_EVERY_MS) {
        lastPairAt = now;
        s.rtpTimestamp = h.timestamp;
        s.ntpTimestamp = ntp(now);
      }
      if (!started) {
        started = true;
        void s.runRtcp();
      }
      return true;
    },
    pad(header, payload) {
      const dtls = s.dtlsTransport;
      const codec = s.codec;
      if (s.stopped || !dtls || dtls.state !== "connected" || !dtls.srtp || !codec) return false;
      const conn = dtls.iceTransport.connection;
      if (conn.nominated?.protocol.type !== "stun") return false;
      header.ssrc = s.ssrc;
      header.payloadType = codec.payloadType;
      const packet = dtls.srtp.encrypt(payload, header);
      if (!sendOnPair(conn, packet)) return false;
      dtls.bytesSent += packet.length;
      dtls.packetsSent++;
      return true;
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
