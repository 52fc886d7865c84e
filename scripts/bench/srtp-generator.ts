// The SFU benchmark's load generator, light enough to leave the cores to the SFU under test: werift only sets each
// peer connection up (ICE, DTLS-SRTP handshake, offer/answer with the SFU through the parent), then this process
// sends and receives SRTP itself on the nominated pair's socket with node:crypto AES-GCM (RFC 7714), with none of
// werift's per-packet path. Every packet carries its send time, so latency is measured on one clock (both
// participants of a consultation live in the same generator process).
// Driven by scripts/bench/sfu.ts over stdin/stdout (scripts/bench/sfu-rpc.ts).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { RTCPeerConnection, RTCRtpCodecParameters, MediaStreamTrack } from "werift";
import { rpcOverStdio, type Message } from "./sfu-rpc.ts";

export const VIDEO_BYTES = 1100;
export const AUDIO_BYTES = 120;
const AUDIO_EVERY_MS = 20; // Opus, 50 packets/s
const VIDEO_EVERY_MS = 8; // 125 packets/s of 1,100 bytes: ~1.1 Mbps, with audio ~1.15 Mbps
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
    iceTransport: { connection: { nominated?: { protocol: Protocol; remoteAddr: [string, number] }; protocols: Protocol[] } };
  }[];
}
interface Keys { srtpSessionKey: Buffer; srtpSessionSalt: Buffer }
interface Protocol { transport: { socket: object }; datagramReceived(data: Buffer, addr: unknown): void }
type DirectSocket = { send(data: Buffer, port: number, address: string): boolean };

/** Sends on the nominated pair with Bun's own UDP socket under node:dgram (no per-packet address lookup). */
function pairOf(pc: RTCPeerConnection): { send(data: Buffer): void; protocols: Protocol[]; keys: { local: Keys; remote: Keys }; profile: number } {
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

interface Publisher { pc: RTCPeerConnection; tick(t: number): void; resume(t: number): void; sentInWindow: number }
interface Subscriber { pc: RTCPeerConnection; received: number; latencies: number[] }

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

/** A sendonly audio + video peer connection; `start` begins raw SRTP once connected. */
function newPublisherPC(): RTCPeerConnection {
  const pc = new RTCPeerConnection(pcConfig);
  pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendonly" });
  pc.addTransceiver(new MediaStreamTrack({ kind: "video" }), { direction: "sendonly" });
  return pc;
}

function startPublishing(pc: RTCPeerConnection): Publisher {
  const { send, keys, profile } = pairOf(pc);
  if (profile !== GCM) throw new Error(`SRTP profile ${PROFILE_NAMES[profile] ?? profile} negotiated; this generator speaks AEAD_AES_128_GCM only`);
  const streams = pc.getTransceivers().map((t) => ({
    ssrc: t.sender.ssrc,
    pt: t.sender.codec?.payloadType ?? (t.kind === "audio" ? 111 : 96),
    bytes: t.kind === "audio" ? AUDIO_BYTES : VIDEO_BYTES,
    every: t.kind === "audio" ? AUDIO_EVERY_MS : VIDEO_EVERY_MS,
    clock: t.kind === "audio" ? 48 : 90,
    seq: 0,
    next: now() + Math.random() * 20, // spread participants over the tick like independent senders
  }));
  const p: Publisher = {
    pc,
    sentInWindow: 0,
    resume(t) {
      for (const s of streams) s.next = Math.max(s.next, t + Math.random() * s.every); // no burst of the paused time
    },
    tick(t) {
      for (const s of streams) {
        while (s.next <= t) {
          // Sequence numbers start at 0 and a run lasts far less than 65,536 packets: the rollover counter stays 0.
          const header = Buffer.alloc(12);
          header[0] = 0x80;
          header[1] = s.pt | 0x80; // marker on every packet: each is a whole frame
          header.writeUInt16BE(s.seq & 0xffff, 2);
          header.writeUInt32BE((Math.round(s.next * s.clock) >>> 0), 4);
          header.writeUInt32BE(s.ssrc, 8);
          const payload = Buffer.alloc(s.bytes);
          payload[0] = 0x10; // VP8 payload descriptor: start of partition
          const sentAt = now();
          payload.writeDoubleLE(sentAt, 8);
          const cipher = createCipheriv("aes-128-gcm", keys.local.srtpSessionKey, gcmIV(keys.local.srtpSessionSalt, s.ssrc, 0, s.seq & 0xffff));
          cipher.setAAD(header);
          const enc = cipher.update(payload);
          cipher.final();
          send(Buffer.concat([header, enc, cipher.getAuthTag()]));
          if (inWindow(sentAt)) p.sentInWindow++;
          s.seq++;
          s.next += s.every;
        }
      }
    },
  };
  return p;
}

/** Takes the RTP arriving on the subscriber's nominated pair before werift sees it; RTCP, STUN, DTLS still go to werift. */
function startReceiving(pc: RTCPeerConnection): Subscriber {
  const { protocols, keys, profile } = pairOf(pc);
  if (profile !== GCM) throw new Error(`SRTP profile ${PROFILE_NAMES[profile] ?? profile} negotiated; this generator speaks AEAD_AES_128_GCM only`);
  const sub: Subscriber = { pc, received: 0, latencies: [] };
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
      if (plain.length < 16) return;
      const sentAt = plain.readDoubleLE(8);
      if (!inWindow(sentAt)) return;
      sub.received++;
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
async function join(call: Call, consultations: number[]): Promise<Message> {
  const pending: { key: string; pc: RTCPeerConnection }[] = [];
  for (const c of consultations) {
    for (const side of [0, 1]) {
      const key = `${c}-${side}`;
      const pc = newPublisherPC();
      all.push(pc);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const answer = await call("publish", { key, sdp: loopbackOnly(pc.localDescription!.sdp) });
      await pc.setRemoteDescription({ type: "answer", sdp: String(answer.sdp) });
      pending.push({ key, pc });
    }
  }
  for (const { key, pc } of pending) {
    await connected(pc, `${key} (publisher)`);
    const p = startPublishing(pc);
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
  const viewers: { key: string; pc: RTCPeerConnection }[] = [];
  for (const o of offers) {
    const pc = new RTCPeerConnection(pcConfig);
    all.push(pc);
    await pc.setRemoteDescription({ type: "offer", sdp: o.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await call("accept", { subId: o.subId, sdp: loopbackOnly(pc.localDescription!.sdp) });
    viewers.push({ key: `${o.c}-${o.side} (subscriber)`, pc });
  }
  for (const { key, pc } of viewers) {
    await connected(pc, key);
    subscribers.push(startReceiving(pc));
  }
  startTicking();
  return { profiles: [...profiles] };
}

/** Direct publisher → subscriber on loopback through this same code: the latency the SFU figures are compared to. */
async function baseline(seconds: number): Promise<Message> {
  const a = newPublisherPC();
  const b = new RTCPeerConnection(pcConfig);
  await a.setLocalDescription(await a.createOffer());
  await gathered(a);
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await gathered(b);
  await a.setRemoteDescription(b.localDescription!);
  await Promise.all([connected(a, "baseline publisher"), connected(b, "baseline subscriber")]);
  const p = startPublishing(a);
  const s = startReceiving(b);
  window.from = now() + 500;
  window.to = window.from + seconds * 1000;
  const timer = setInterval(() => p.tick(now()), 4);
  await Bun.sleep(seconds * 1000 + 800);
  clearInterval(timer);
  window.from = window.to = Infinity;
  await a.close();
  await b.close();
  return { latencies: s.latencies, sent: p.sentInWindow, received: s.received };
}

let cpuAtBegin = process.cpuUsage();
const rpc = rpcOverStdio({
  join: (m) => join((op, args) => rpc.call(op, args), m.consultations as number[]),
  baseline: (m) => baseline(Number(m.seconds)),
  begin: () => {
    for (const p of publishers.values()) p.sentInWindow = 0;
    for (const s of subscribers) (s.received = 0), (s.latencies = []);
    cpuAtBegin = process.cpuUsage();
    window.from = now();
    window.to = Infinity;
    return {};
  },
  end: async () => {
    window.to = now();
    const cpu = process.cpuUsage(cpuAtBegin);
    await Bun.sleep(500); // packets sent inside the window still in flight
    const sent = [...publishers.values()].reduce((n, p) => n + p.sentInWindow, 0);
    const received = subscribers.reduce((n, s) => n + s.received, 0);
    // Latencies to 10 µs, so the parent's JSON stays small.
    const latencies = subscribers.flatMap((s) => s.latencies.map((l) => Math.round(l * 100) / 100));
    if (process.env.KABINET_BENCH_DEBUG) console.error("generator:", JSON.stringify(debug));
    return { sent, received, latencies, cpuMicros: cpu.user + cpu.system };
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
