// The SFU benchmark's load generator, light enough to leave the cores to the SFU under test: werift only sets each
// peer connection up (ICE, DTLS-SRTP handshake, offer/answer with the SFU through the parent), then this process
// sends and receives SRTP itself on the nominated pair's socket with node:crypto AES-GCM (RFC 7714), with none of
// werift's per-packet path. Every packet carries its send time, so latency is measured on one clock (both
// participants of a consultation live in the same generator process).
// Driven by scripts/bench/sfu.ts over stdin/stdout (scripts/bench/sfu-rpc.ts).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, useSdesMid, useSdesRTPStreamId } from "werift";
import { protectFrame } from "../../web/call/e2ee/frames.ts";
import { deriveSFrameKey, parseHeader } from "../../web/call/e2ee/sframe.ts";
import { rpcOverStdio, type Message } from "./sfu-rpc.ts";

export const VIDEO_BYTES = 1100;
export const AUDIO_BYTES = 120;
const AUDIO_EVERY_MS = 20; // Opus, one 120-byte packet per 20 ms frame
// Video as a browser sends it: a frame every 33 ms as a burst of packets (125 packets/s of 1,100 bytes: ~1.1 Mbps,
// with audio ~1.15 Mbps). The traffic's shape matters: an SFU pays per wake-up as well as per packet.
const VIDEO_FRAME_MS = 1000 / 30;
const GCM = 7; // SRTP_AEAD_AES_128_GCM (RFC 7714); werift offers it first
const PROFILE_NAMES: Record<number, string> = { 1: "AES_CM_128_HMAC_SHA1_80", 7: "AEAD_AES_128_GCM" };

const CODECS = {
  audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 })],
  video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96, rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }, { type: "goog-remb" }] })],
};
const pcConfig = {
  iceServers: [],
  iceAdditionalHostAddresses: ["127.0.0.1"],
  // Checks only from the loopback socket (see loopbackOnly below).
  iceFilterCandidatePair: (pair: { localCandidate: { host: string } }) => pair.localCandidate.host === "127.0.0.1",
  bundlePolicy: "max-bundle" as const,
  codecs: CODECS,
  iceUseIpv6: false,
};

// werift internals this file reads after the handshake (werift 0.25): the nominated pair and the SRTP session keys.
interface Internals {
  dtlsTransports: {
    srtp: { localContext: Keys; remoteContext: Keys };
    dtls?: { srtp: { srtpProfile?: number } };
    onRtcp: { subscribe(f: (rtcp: { type: number; feedback?: { count?: number; mediaSsrc?: number } }) => void): unknown };
    iceTransport: { connection: { nominated?: { protocol: Protocol; remoteAddr: [string, number] }; protocols: Protocol[] } };
  }[];
}
interface Keys { srtpSessionKey: Buffer; srtpSessionSalt: Buffer }
interface Protocol { transport: { socket: object }; datagramReceived(data: Buffer, addr: unknown): void }
type DirectSocket = { send(data: Buffer, port: number, address: string): boolean };

/** Sends on the nominated pair with Bun's own UDP socket under node:dgram (no per-packet address lookup). */
function pairOf(pc: RTCPeerConnection): { send(data: Buffer): void; protocols: Protocol[]; keys: { local: Keys; remote: Keys }; profile: number; dtls: Internals["dtlsTransports"][number] } {
  const dtls = (pc as unknown as Internals).dtlsTransports[0]!;
  const pair = dtls.iceTransport.connection.nominated;
  if (!pair) throw new Error("no nominated ICE pair after connecting");
  const socket = pair.protocol.transport.socket as { send(d: Buffer, p: number, a: string): void };
  const state = Object.getOwnPropertySymbols(socket).find((sym) => sym.description === "state symbol");
  const direct = state ? (socket as unknown as Record<symbol, { handle?: { socket?: DirectSocket } }>)[state]?.handle?.socket : undefined;
  const [address, port] = pair.remoteAddr;
  return {
    send: direct && typeof direct.send === "function" ? (d) => void direct.send(d, port, address) : (d) => socket.send(d, port, address),
    protocols: dtls.iceTransport.connection.protocols,
    keys: { local: dtls.srtp.localContext, remote: dtls.srtp.remoteContext },
    profile: dtls.dtls?.srtp.srtpProfile ?? 0,
    dtls,
  };
}

// RFC 7714 §8.1: IV = (0 0 || SSRC || ROC || SEQ) XOR salt.
function gcmIV(salt: Buffer, ssrc: number, roc: number, seq: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(ssrc, 2);
  iv.writeUInt32BE(roc >>> 0, 6);
  iv.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  return iv;
}

const now = (): number => performance.now();
const window = { from: Infinity, to: Infinity };
const inWindow = (t: number): boolean => t >= window.from && t < window.to;

// Tallies per stream: index 0..2 the video layer (2 without simulcast), AUDIO for audio.
const AUDIO = 3;
interface Publisher { pc: RTCPeerConnection; tick(t: number): void; resume(t: number): void; sentInWindow: number[] }
interface Subscriber { pc: RTCPeerConnection; source: string; received: number[]; latencies: number[] }

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === "complete" && resolve()));
}

async function connected(pc: RTCPeerConnection, name: string, ms = 60_000): Promise<void> {
  if (pc.connectionState === "connected") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`peer connection ${name} did not connect within ${ms / 1000} s (state ${pc.connectionState})`)), ms);
    pc.connectionStateChange.subscribe((s) => s === "connected" && (clearTimeout(timer), resolve()));
  });
}

/** A sendonly audio + video peer connection; `startPublishing` begins raw SRTP once connected. */
function newPublisherPC(simulcast: boolean): RTCPeerConnection {
  const pc = new RTCPeerConnection(simulcast ? { ...pcConfig, headerExtensions: { audio: [useSdesMid()], video: [useSdesMid(), useSdesRTPStreamId()] } } : pcConfig);
  pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendonly" });
  pc.addTransceiver(new MediaStreamTrack({ kind: "video" }), { direction: "sendonly" });
  return pc;
}

// Simulcast as Chrome sends a 960×540 camera: three rid layers, lowest first, each its own SSRC named by the rid
// header extension (no a=ssrc lines). Packet rates scale with each layer's bitrate (~1.1 Mbps, ~350, ~130 kbps).
const LAYERS = [
  { rid: "q", every: 1000 / 15, perSecond: 15, width: 240, height: 135 },
  { rid: "h", every: VIDEO_FRAME_MS, perSecond: 40, width: 480, height: 270 },
  { rid: "f", every: VIDEO_FRAME_MS, perSecond: 125, width: 960, height: 540 },
];

/** The offer as a simulcast publisher sends it: rids and a=simulcast on the video section, no video SSRC lines.
 * The rids are listed in the order the SFU's own client uses: Kabinet's lowest first, Janus's (janus.js) highest. */
function withSimulcast(sdp: string, highFirst: boolean): string {
  const order = highFirst ? [...LAYERS].reverse() : LAYERS;
  const [head, ...sections] = sdp.split(/\r\n(?=m=)/);
  return [
    head,
    ...sections.map((m) =>
      m.startsWith("m=video")
        ? `${m.split("\r\n").filter((l) => !/^a=ssrc(-group)?:/.test(l) && l !== "").join("\r\n")}\r\n${order.map((l) => `a=rid:${l.rid} send`).join("\r\n")}\r\na=simulcast:send ${order.map((l) => l.rid).join(";")}\r\n`
        : m,
    ),
  ].join("\r\n");
}

const extmapId = (sdp: string, uri: string): number => Number(new RegExp(`^a=extmap:(\\d+)(?:/\\w+)? ${uri.replace(/[.:]/g, "\\$&")}`, "m").exec(sdp)?.[1] ?? 0);

/** RFC 8285 one-byte header extension block carrying mid and rid. */
function extensionBlock(elements: [number, string][]): Buffer {
  const body = Buffer.concat(elements.filter(([id]) => id > 0).map(([id, v]) => Buffer.concat([Buffer.of((id << 4) | (v.length - 1)), Buffer.from(v)])));
  const words = Math.ceil(body.length / 4);
  const block = Buffer.alloc(4 + words * 4);
  block.writeUInt16BE(0xbede, 0);
  block.writeUInt16BE(words, 2);
  body.copy(block, 4);
  return block;
}

// Send time (float64) past any VP8 descriptor and keyframe header, then the stream's tally index (simulcast layer,
// or AUDIO) for the receivers' count. With E2EE payloads both sit further in, past the clear prefix and the longest
// SFrame header (5 + 10 + 17 bytes), so they overwrite ciphertext only, which nothing on the path can read anyway.
const CLEAR_AT = { time: 16, layer: 24 };
const E2EE_AT = { time: 40, layer: 48 };
let at = CLEAR_AT;
const KEYFRAME_EVERY_MS = 5000;

// ---- end-to-end encrypted payloads --------------------------------------------------------------------------------
// Frames as a browser with end-to-end encryption sends them (web/call/e2ee/frames.ts, protectFrame with WebCrypto):
// a video frame's bytes are its clear prefix (10 on keyframes, 3 otherwise) + SFrame header + ciphertext + 16-byte
// tag, cut into packets behind the VP8 descriptor; audio is the SFrame of a 120-byte Opus frame. The plain frame is
// sized so that its protected form fills the same packets as the clear variant's frame (n × 1,095 bytes): both
// variants then send the same packets, sizes and rates, and differ only in what the payloads hold. Encrypted once,
// into a pool, before the run, so the generator's CPU stays where it was; counters are distinct within a pool and
// start high enough (2^20) for a 3-byte counter as a browser has after a while; no SFU checks them.
const DESCRIPTOR_BYTES = 5;
const FRAME_BYTES_PER_PACKET = VIDEO_BYTES - DESCRIPTOR_BYTES;
const E2EE_KID = 3n;
const CTR_BASE = 1n << 20n;
const POOL = 8;
const MAX_PACKETS = 6;
interface E2eePool {
  /** [`${width}` for keyframes of that layer | "delta"][packets][i]: protected frames of packets × 1,095 bytes. */
  video: Map<string, Uint8Array[][]>;
  audio: Uint8Array[];
  next: number;
}
let pool: E2eePool | null = null;
/** What the receivers found in E2EE payloads: SFrame headers under the pool's key, and anything else. */
const sframeSeen = { ok: 0, bad: 0 };

async function buildPool(): Promise<E2eePool> {
  const key = await deriveSFrameKey(crypto.getRandomValues(new Uint8Array(16)), E2EE_KID);
  let ctr = CTR_BASE;
  const protect = async (kind: "audio" | "video", plain: Uint8Array, total?: number): Promise<Uint8Array> => {
    const out = await protectFrame(key, ctr++, kind, plain);
    if (total !== undefined && out.length !== total) throw new Error(`protected frame of ${out.length} bytes, wanted ${total}`);
    return out;
  };
  const overhead = 1 + 3 + 16; // config byte, 3-byte counter, tag
  const frame = (bytes: number, width: number | null): Uint8Array => {
    const f = crypto.getRandomValues(new Uint8Array(bytes));
    f[0] = (f[0]! & 0xfe) | (width === null ? 1 : 0); // P bit: 0 on a keyframe
    if (width !== null) f.set([0x9d, 0x01, 0x2a, width & 0xff, width >> 8, ((width * 9) / 16) & 0xff, ((width * 9) / 16) >> 8], 3);
    return f;
  };
  const video = new Map<string, Uint8Array[][]>();
  for (const kind of ["delta", ...LAYERS.map((l) => String(l.width))]) {
    const byCount: Uint8Array[][] = [[]];
    for (let n = 1; n <= MAX_PACKETS; n++) {
      const total = n * FRAME_BYTES_PER_PACKET;
      const list: Uint8Array[] = [];
      for (let i = 0; i < POOL; i++) list.push(await protect("video", frame(total - overhead, kind === "delta" ? null : Number(kind)), total));
      byCount.push(list);
    }
    video.set(kind, byCount);
  }
  const audio: Uint8Array[] = [];
  for (let i = 0; i < POOL * 4; i++) audio.push(await protect("audio", crypto.getRandomValues(new Uint8Array(AUDIO_BYTES))));
  return { video, audio, next: 0 };
}

/** Whether a forwarded payload still holds the pool's SFrame where a receiver would look for it. */
function checkSFrame(plain: Buffer, video: boolean): void {
  try {
    if (video && !(plain[0]! & 0x10)) return; // not a frame's first packet: ciphertext only
    const offset = video ? DESCRIPTOR_BYTES + ((plain[DESCRIPTOR_BYTES]! & 1) === 0 ? 10 : 3) : 0;
    const h = parseHeader(plain, offset);
    if (h.kid === E2EE_KID && h.ctr >= CTR_BASE && h.ctr < CTR_BASE + 1000n) sframeSeen.ok++;
    else sframeSeen.bad++;
  } catch {
    sframeSeen.bad++;
  }
}

interface Stream {
  ssrc: number;
  pt: number;
  bytes: number;
  every: number;
  /** Packets per frame, as a running fraction: ~4.17 for 125 packets/s at 30 frames/s. */
  perFrame: number;
  owed: number;
  clock: number;
  seq: number;
  next: number;
  tally: number;
  video?: { layer: number; width: number; height: number; pictureId: number; tl0: number; keyframeAt: number };
  extension?: Buffer;
}

function startPublishing(pc: RTCPeerConnection, offer: string, simulcast: boolean): Publisher {
  const { send, keys, profile, dtls } = pairOf(pc);
  if (profile !== GCM) throw new Error(`SRTP profile ${PROFILE_NAMES[profile] ?? profile} negotiated; this generator speaks AEAD_AES_128_GCM only`);
  const midId = extmapId(offer, "urn:ietf:params:rtp-hdrext:sdes:mid");
  const ridId = extmapId(offer, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  const start = now() + Math.random() * 20; // spread participants over the tick like independent senders
  const streams: Stream[] = pc.getTransceivers().flatMap((t): Stream[] => {
    const pt = t.sender.codec?.payloadType ?? (t.kind === "audio" ? 111 : 96);
    if (t.kind === "audio") return [{ ssrc: t.sender.ssrc, pt, bytes: pool ? pool.audio[0]!.length : AUDIO_BYTES, every: AUDIO_EVERY_MS, perFrame: 1, owed: 0, clock: 48, seq: 0, next: start, tally: AUDIO }];
    const layers = simulcast ? LAYERS : [LAYERS[2]!];
    return layers.map((l, i) => ({
      ssrc: simulcast ? (Math.random() * 0xffffffff) >>> 0 : t.sender.ssrc,
      pt,
      bytes: VIDEO_BYTES,
      every: l.every,
      perFrame: (l.perSecond * l.every) / 1000,
      owed: 0,
      clock: 90,
      seq: 0,
      next: start,
      tally: simulcast ? i : LAYERS.length - 1,
      video: { layer: simulcast ? i : LAYERS.length - 1, width: l.width, height: l.height, pictureId: (Math.random() * 0x7fff) | 0, tl0: 0, keyframeAt: -Infinity },
      extension: simulcast ? extensionBlock([[midId, t.mid ?? "1"], [ridId, l.rid]]) : undefined,
    }));
  });
  // A keyframe request (PLI) for a stream makes its next packet a keyframe, as a browser's encoder would.
  dtls.onRtcp.subscribe((rtcp: { type: number; feedback?: { count?: number; mediaSsrc?: number } }) => {
    if (rtcp.type !== 206 || rtcp.feedback?.count !== 1) return;
    const s = streams.find((x) => x.ssrc === rtcp.feedback!.mediaSsrc);
    if (s?.video) s.video.keyframeAt = -Infinity;
  });
  const p: Publisher = {
    pc,
    sentInWindow: [0, 0, 0, 0],
    resume(t) {
      for (const s of streams) s.next = Math.max(s.next, t + Math.random() * s.every); // no burst of the paused time
    },
    tick(t) {
      for (const s of streams) {
        while (s.next <= t) {
          s.owed += s.perFrame;
          const packets = Math.floor(s.owed);
          s.owed -= packets;
          const keyframe = s.video ? startFrame(s.video, s.next) : false;
          const sealed = pool ? (s.video ? pool.video.get(keyframe ? String(s.video.width) : "delta")![Math.min(packets, MAX_PACKETS)]![pool.next++ % POOL]! : pool.audio[pool.next++ % pool.audio.length]!) : null;
          for (let k = 0; k < packets; k++) {
            // Sequence numbers start at 0 and a run lasts far less than 65,536 packets: the rollover counter stays 0.
            const fixed = Buffer.alloc(12);
            fixed[0] = s.extension ? 0x90 : 0x80;
            fixed[1] = s.pt | (k === packets - 1 ? 0x80 : 0); // marker on a frame's last packet
            fixed.writeUInt16BE(s.seq & 0xffff, 2);
            fixed.writeUInt32BE(Math.round(s.next * s.clock) >>> 0, 4);
            fixed.writeUInt32BE(s.ssrc, 8);
            const header = s.extension ? Buffer.concat([fixed, s.extension]) : fixed;
            const payload = Buffer.alloc(s.bytes);
            if (s.video) writeVp8(payload, s.video, k === 0, keyframe && !sealed);
            if (sealed) payload.set(s.video ? sealed.subarray(k * FRAME_BYTES_PER_PACKET, (k + 1) * FRAME_BYTES_PER_PACKET) : sealed, s.video ? DESCRIPTOR_BYTES : 0);
            payload[at.layer] = s.tally;
            const sentAt = now();
            payload.writeDoubleLE(sentAt, at.time);
            const cipher = createCipheriv("aes-128-gcm", keys.local.srtpSessionKey, gcmIV(keys.local.srtpSessionSalt, s.ssrc, 0, s.seq & 0xffff));
            cipher.setAAD(header);
            const enc = cipher.update(payload);
            cipher.final();
            send(Buffer.concat([header, enc, cipher.getAuthTag()]));
            if (inWindow(sentAt)) p.sentInWindow[s.tally]!++;
            s.seq++;
          }
          s.next += s.every;
        }
      }
    },
  };
  return p;
}

/** A new VP8 frame: its picture id, and whether it is a keyframe (the first, on request, every 5 s). */
function startFrame(v: NonNullable<Stream["video"]>, t: number): boolean {
  const keyframe = t - v.keyframeAt >= KEYFRAME_EVERY_MS;
  if (keyframe) v.keyframeAt = t;
  v.pictureId = (v.pictureId + 1) & 0x7fff;
  v.tl0 = (v.tl0 + 1) & 0xff;
  return keyframe;
}

/** One packet of a VP8 frame (RFC 7741): descriptor with a 15-bit picture id and TL0PICIDX; the first packet holds
 * the frame tag, and a keyframe's first packet the start code and the layer's size (with E2EE payloads the pooled
 * frame, written after, brings its own). */
function writeVp8(payload: Buffer, v: NonNullable<Stream["video"]>, first: boolean, keyframe: boolean): void {
  payload[0] = first ? 0x90 : 0x80; // X, and S on the frame's first packet (partition 0)
  payload[1] = 0xc0; // I, L
  payload.writeUInt16BE(0x8000 | v.pictureId, 2);
  payload[4] = v.tl0;
  if (!first) return;
  payload[5] = keyframe ? 0x00 : 0x01; // frame tag: bit 0 clear on a keyframe
  if (keyframe) {
    payload[8] = 0x9d;
    payload[9] = 0x01;
    payload[10] = 0x2a;
    payload.writeUInt16LE(v.width, 11);
    payload.writeUInt16LE(v.height, 13);
  }
}

/** Takes the RTP arriving on the subscriber's nominated pair before werift sees it; RTCP, STUN, DTLS still go to werift. */
function startReceiving(pc: RTCPeerConnection, source: string): Subscriber {
  const { protocols, keys, profile } = pairOf(pc);
  if (profile !== GCM) throw new Error(`SRTP profile ${PROFILE_NAMES[profile] ?? profile} negotiated; this generator speaks AEAD_AES_128_GCM only`);
  const sub: Subscriber = { pc, source, received: [0, 0, 0, 0], latencies: [] };
  const roc = new Map<number, { last: number; roc: number }>();
  const intercept = (data: Buffer, addr: unknown, werift: (data: Buffer, addr: unknown) => void): void => {
    debug.datagrams++;
    const b1 = data[1]!;
    if (data.length < 12 || data[0]! >> 6 !== 2 || (b1 >= 192 && b1 <= 223)) return werift(data, addr);
    const cc = data[0]! & 0x0f;
    let offset = 12 + cc * 4;
    if (data[0]! & 0x10) offset += 4 + data.readUInt16BE(offset + 2) * 4;
    const seq = data.readUInt16BE(2);
    const ssrc = data.readUInt32BE(8);
    let r = roc.get(ssrc);
    if (!r) roc.set(ssrc, (r = { last: seq, roc: 0 }));
    let useRoc = r.roc;
    if (seq < 0x4000 && r.last > 0xc000) useRoc = r.roc = r.roc + 1;
    else if (seq > 0xc000 && r.last < 0x4000) useRoc = r.roc - 1; // late packet from before the wrap
    if (useRoc === r.roc) r.last = seq;
    try {
      const decipher = createDecipheriv("aes-128-gcm", keys.remote.srtpSessionKey, gcmIV(keys.remote.srtpSessionSalt, ssrc, useRoc, seq));
      decipher.setAAD(data.subarray(0, offset));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = decipher.update(data.subarray(offset, data.length - 16));
      decipher.final();
      if (plain.length <= at.layer) return; // padding that probes the link, not media
      const sentAt = plain.readDoubleLE(at.time);
      if (!inWindow(sentAt)) return;
      const tally = plain[at.layer]! & 3;
      if (pool) checkSFrame(plain, tally !== AUDIO);
      sub.received[tally]!++;
      sub.latencies.push(now() - sentAt);
    } catch {
      debug.undecryptable++;
      // not authenticated: not ours, dropped like an SRTP stack would
    }
  };
  // Every local socket, not only the nominated pair's: a peer may answer checks from another of its addresses.
  for (const protocol of protocols) {
    const werift = protocol.datagramReceived.bind(protocol);
    protocol.datagramReceived = (data, addr) => intercept(data, addr, werift);
  }
  return sub;
}

const debug = { datagrams: 0, undecryptable: 0 };
const publishers = new Map<string, Publisher>();
const subscribers: Subscriber[] = [];
const all: RTCPeerConnection[] = [];
let ticker: ReturnType<typeof setInterval> | undefined;
const profiles = new Set<string>();

function startTicking(): void {
  const t = now();
  for (const p of publishers.values()) p.resume(t);
  ticker ??= setInterval(() => {
    const t = now();
    for (const p of publishers.values()) p.tick(t);
  }, 4);
}

function stopTicking(): void {
  clearInterval(ticker);
  ticker = undefined;
}

type Call = (op: string, args?: Message) => Promise<Message>;

// In the benchmark's namespace werift also gathers 127.0.0.2, the address Janus owns on its veth end: only the
// loopback candidate is offered, so both SFUs see one path per peer, like a browser with one interface.
const loopbackOnly = (sdp: string): string => sdp.replace(/^a=candidate:.* (?!127\.0\.0\.1 )\S+ \d+ typ .*\r\n/gm, "");

/** Publishes both participants of each consultation, then subscribes each to the other's media. */
async function join(call: Call, consultations: number[], simulcast: boolean, highFirst: boolean, e2ee: boolean): Promise<Message> {
  if (e2ee) {
    pool ??= await buildPool();
    at = E2EE_AT;
  }
  const pending: { key: string; pc: RTCPeerConnection; offer: string }[] = [];
  for (const c of consultations) {
    for (const side of [0, 1]) {
      const key = `${c}-${side}`;
      const pc = newPublisherPC(simulcast);
      all.push(pc);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      // The SFU gets the offer a simulcast browser would send; werift on this side never sends RTP itself.
      const offer = loopbackOnly(simulcast ? withSimulcast(pc.localDescription!.sdp, highFirst) : pc.localDescription!.sdp);
      const answer = await call("publish", { key, sdp: offer });
      if (simulcast && !/^a=simulcast:recv /m.test(String(answer.sdp))) throw new Error("the SFU answered a simulcast offer without a=simulcast: it does not take simulcast");
      await pc.setRemoteDescription({ type: "answer", sdp: String(answer.sdp) });
      pending.push({ key, pc, offer });
    }
  }
  for (const { key, pc, offer } of pending) {
    await connected(pc, `${key} (publisher)`);
    const p = startPublishing(pc, offer, simulcast);
    publishers.set(key, p);
    profiles.add(PROFILE_NAMES[pairOf(pc).profile] ?? "?");
  }
  // An SFU may only offer a subscription once the publisher's media has arrived; then the media pauses while the
  // subscribers connect, so a loaded machine's DTLS handshakes are not starved by forwarding nobody receives yet.
  startTicking();
  const offers: { c: number; side: number; subId: unknown; sdp: string }[] = [];
  for (const c of consultations) {
    for (const side of [0, 1]) {
      if (process.env.KABINET_BENCH_DEBUG) console.error(`generator: subscribe ${c}-${1 - side} at ${now().toFixed(0)}`);
      const o = await call("subscribe", { source: `${c}-${1 - side}` });
      offers.push({ c, side, subId: o.subId, sdp: String(o.sdp) });
    }
  }
  stopTicking();
  const viewers: { key: string; source: string; pc: RTCPeerConnection }[] = [];
  for (const o of offers) {
    const pc = new RTCPeerConnection(pcConfig);
    all.push(pc);
    await pc.setRemoteDescription({ type: "offer", sdp: o.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await call("accept", { subId: o.subId, sdp: loopbackOnly(pc.localDescription!.sdp) });
    viewers.push({ key: `${o.c}-${o.side} (subscriber)`, source: `${o.c}-${1 - o.side}`, pc });
  }
  for (const { key, source, pc } of viewers) {
    await connected(pc, key);
    subscribers.push(startReceiving(pc, source));
  }
  startTicking();
  return { profiles: [...profiles] };
}

/** Direct publisher → subscriber on loopback through this same code: the latency the SFU figures are compared to. */
async function baseline(seconds: number): Promise<Message> {
  const a = newPublisherPC(false);
  const b = new RTCPeerConnection(pcConfig);
  await a.setLocalDescription(await a.createOffer());
  await gathered(a);
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await gathered(b);
  await a.setRemoteDescription(b.localDescription!);
  await Promise.all([connected(a, "baseline publisher"), connected(b, "baseline subscriber")]);
  const p = startPublishing(a, a.localDescription!.sdp, false);
  const s = startReceiving(b, "baseline");
  window.from = now() + 500;
  window.to = window.from + seconds * 1000;
  const timer = setInterval(() => p.tick(now()), 4);
  await Bun.sleep(seconds * 1000 + 800);
  clearInterval(timer);
  window.from = window.to = Infinity;
  await a.close();
  await b.close();
  return { latencies: s.latencies };
}

let cpuAtBegin = process.cpuUsage();
const rpc = rpcOverStdio({
  join: (m) => join((op, args) => rpc.call(op, args), m.consultations as number[], m.simulcast === true, m.highFirst === true, m.e2ee === true),
  baseline: (m) => baseline(Number(m.seconds)),
  begin: () => {
    for (const p of publishers.values()) p.sentInWindow = [0, 0, 0, 0];
    for (const s of subscribers) (s.received = [0, 0, 0, 0]), (s.latencies = []);
    sframeSeen.ok = sframeSeen.bad = 0;
    cpuAtBegin = process.cpuUsage();
    window.from = now();
    window.to = Infinity;
    return {};
  },
  end: async () => {
    window.to = now();
    const cpu = process.cpuUsage(cpuAtBegin);
    await Bun.sleep(500); // packets sent inside the window still in flight
    // What each receiver should have got: its source's audio and the video layer it was mostly given (with
    // simulcast an SFU forwards one layer per receiver; without, the only one).
    let sent = 0;
    let received = 0;
    const byLayer = [0, 0, 0];
    for (const s of subscribers) {
      const from = publishers.get(s.source)!.sentInWindow;
      const layer = [0, 1, 2].reduce((best, l) => (s.received[l]! > s.received[best]! ? l : best), 2);
      sent += from[AUDIO]! + from[layer]!;
      received += s.received.reduce((a, b) => a + b, 0);
      for (const l of [0, 1, 2]) byLayer[l]! += s.received[l]!;
    }
    // Latencies to 10 µs, so the parent's JSON stays small.
    const latencies = subscribers.flatMap((s) => s.latencies.map((l) => Math.round(l * 100) / 100));
    if (process.env.KABINET_BENCH_DEBUG) console.error("generator:", JSON.stringify(debug));
    return { sent, received, byLayer, latencies, cpuMicros: cpu.user + cpu.system, sframe: { ...sframeSeen } };
  },
  close: async () => {
    if (ticker) clearInterval(ticker);
    await Promise.all(all.map((pc) => pc.close().catch(() => {})));
    setTimeout(() => process.exit(0), 50);
    return {};
  },
});
// Never outlive the benchmark: stdin closes when the parent goes.
process.stdin.on("end", () => process.exit(0));
