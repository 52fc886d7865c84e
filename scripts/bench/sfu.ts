// Synthetic 1:1 consultations through the real SFU over loopback: two participants per consultation, each
// publishing ~1.2 Mbps (VP8-sized video packets ~125/s + Opus-sized audio 50/s) and receiving the other's media.
// The SFU runs in its own process (scripts/bench/sfu-server.ts) so its CPU time is measured alone; the load
// generator (werift clients) runs here. Latency is time from send to receive on the same clock, minus a direct
// peer-to-peer baseline measured in the same run. Every phase is bounded in time and stops by itself.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import { median } from "./stats.ts";

export interface SfuLevel {
  consultations: number;
  forwardedPerSecond: number;
  microsPerPacket: number;
  packetsPerCpuSecond: number;
  mbpsPerCpuSecond: number;
  p50Ms: number;
  p99Ms: number;
  lossPercent: number;
  rssPerParticipantMB: number;
}

export interface SfuFigures {
  baselineP50Ms: number;
  baselineP99Ms: number;
  levels: SfuLevel[];
}

const VIDEO_BYTES = 1100;
const AUDIO_BYTES = 120;
const TICK_MS = 20; // per tick: 1 audio packet and 2.5 video packets on average → ~1.15 Mbps

class SfuProcess {
  // KABINET_BENCH_PROFILE=<dir> writes a CPU profile of the SFU process there (bun --cpu-prof).
  private readonly child = spawn(
    process.execPath,
    [...(process.env.KABINET_BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", process.env.KABINET_BENCH_PROFILE] : []), join(import.meta.dir, "sfu-server.ts")],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  private readonly pending = new Map<number, (m: Record<string, unknown>) => void>();
  private nextId = 1;
  readonly ready: Promise<void>;

  constructor() {
    let buffer = "";
    let readyResolve!: () => void;
    this.ready = new Promise((r) => (readyResolve = r));
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (msg.ready) readyResolve();
        else if (msg.error) throw new Error(msg.error);
        else this.pending.get(msg.id)?.(msg), this.pending.delete(msg.id);
      }
    });
  }

  call(op: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    void this.call("exit");
    await Promise.race([exited, Bun.sleep(5000)]); // a CPU profile is written on the way out
    this.child.kill();
  }
}

const pcConfig = { iceServers: [], iceAdditionalHostAddresses: ["127.0.0.1"], bundlePolicy: "max-bundle" as const };

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === "complete" && resolve()));
}

interface Sender {
  tick(): void;
  sent: number;
  close(): Promise<void>;
}

/** A publishing participant: writes timestamped RTP into its tracks. */
function makeSender(ssrcBase: number): { pc: RTCPeerConnection; sender: Sender } {
  const pc = new RTCPeerConnection(pcConfig);
  const video = new MediaStreamTrack({ kind: "video" });
  const audio = new MediaStreamTrack({ kind: "audio" });
  pc.addTransceiver(audio, { direction: "sendonly" });
  pc.addTransceiver(video, { direction: "sendonly" });
  let vseq = 0;
  let aseq = 0;
  let fraction = 0;
  const packet = (pt: number, seq: number, ssrc: number, bytes: number) => {
    const payload = Buffer.alloc(bytes);
    payload.writeDoubleLE(performance.now(), 0);
    return new RtpPacket(new RtpHeader({ payloadType: pt, sequenceNumber: seq & 0xffff, timestamp: seq * 3000, ssrc, marker: true }), payload);
  };
  const sender: Sender = {
    sent: 0,
    tick() {
      audio.writeRtp(packet(111, aseq++, ssrcBase + 1, AUDIO_BYTES));
      fraction += 2.5;
      while (fraction >= 1) {
        video.writeRtp(packet(96, vseq++, ssrcBase + 2, VIDEO_BYTES));
        fraction -= 1;
        sender.sent++;
      }
      sender.sent++;
    },
    close: () => pc.close(),
  };
  return { pc, sender };
}

interface Receiver {
  received: number;
  latencies: number[];
  close(): Promise<void>;
}

function listen(pc: RTCPeerConnection, r: Receiver, measuring: () => boolean): void {
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      if (!measuring()) return;
      r.received++;
      if (rtp.payload.length >= 8) r.latencies.push(performance.now() - rtp.payload.readDoubleLE(0));
    }),
  );
}

async function connected(pc: RTCPeerConnection, ms = 15_000): Promise<void> {
  if (pc.connectionState === "connected") return;
  await new Promise<void>((resolve, reject) => {
    pc.connectionStateChange.subscribe((s) => s === "connected" && resolve());
    setTimeout(() => reject(new Error("peer connection did not connect")), ms);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** Direct werift → werift on loopback: the latency the SFU's figure is compared to. */
async function baseline(seconds: number): Promise<{ p50: number; p99: number }> {
  const { pc: a, sender } = makeSender(9000);
  const b = new RTCPeerConnection(pcConfig);
  const r: Receiver = { received: 0, latencies: [], close: () => b.close() };
  let measuring = true;
  listen(b, r, () => measuring);
  await a.setLocalDescription(await a.createOffer());
  await gathered(a);
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await gathered(b);
  await a.setRemoteDescription(b.localDescription!);
  await Promise.all([connected(a), connected(b)]);
  const timer = setInterval(() => sender.tick(), TICK_MS);
  await Bun.sleep(seconds * 1000);
  measuring = false;
  clearInterval(timer);
  await a.close();
  await b.close();
  return { p50: pct(r.latencies, 50), p99: pct(r.latencies, 99) };
}

async function level(consultations: number, seconds: number): Promise<SfuLevel> {
  const sfu = new SfuProcess();
  await sfu.ready;
  const senders: Sender[] = [];
  const receivers: Receiver[] = [];
  const pcs: RTCPeerConnection[] = [];
  let measuring = false;
  try {
    for (let c = 0; c < consultations; c++) {
      for (const side of [0, 1]) {
        const key = `${c}-${side}`;
        const { pc, sender } = makeSender(100_000 + c * 10 + side * 4);
        await pc.setLocalDescription(await pc.createOffer());
        await gathered(pc);
        const answer = await sfu.call("publish", { key, sdp: pc.localDescription!.sdp });
        await pc.setRemoteDescription({ type: "answer", sdp: String(answer.sdp) });
        pcs.push(pc);
        senders.push(sender);
      }
      for (const side of [0, 1]) {
        const viewer = new RTCPeerConnection(pcConfig);
        const r: Receiver = { received: 0, latencies: [], close: () => viewer.close() };
        listen(viewer, r, () => measuring);
        // start media so the SFU sees the tracks, then subscribe to the other side
        const offer = sfu.call("subscribe", { source: `${c}-${1 - side}` });
        for (let i = 0; i < 10; i++) senders[c * 2 + (1 - side)]!.tick();
        const o = await offer;
        await viewer.setRemoteDescription({ type: "offer", sdp: String(o.sdp) });
        await viewer.setLocalDescription(await viewer.createAnswer());
        await gathered(viewer);
        await sfu.call("accept", { subId: o.subId, sdp: viewer.localDescription!.sdp });
        pcs.push(viewer);
        receivers.push(r);
      }
    }
    await Promise.all(pcs.map((pc) => connected(pc)));
    const timer = setInterval(() => senders.forEach((s) => s.tick()), TICK_MS);
    await Bun.sleep(2000); // warm-up
    const sentBefore = senders.reduce((n, s) => n + s.sent, 0);
    const before = await sfu.call("usage");
    measuring = true;
    await Bun.sleep(seconds * 1000);
    measuring = false;
    const after = await sfu.call("usage");
    const sent = senders.reduce((n, s) => n + s.sent, 0) - sentBefore;
    clearInterval(timer);
    const forwarded = receivers.reduce((n, r) => n + r.received, 0);
    const cpuMicros = Number(after.cpuMicros) - Number(before.cpuMicros);
    const latencies = receivers.flatMap((r) => r.latencies);
    const bytesPerPacket = (AUDIO_BYTES + 2.5 * VIDEO_BYTES) / 3.5 + 12;
    return {
      consultations,
      forwardedPerSecond: forwarded / seconds,
      microsPerPacket: cpuMicros / Math.max(1, forwarded),
      packetsPerCpuSecond: forwarded / (cpuMicros / 1e6),
      mbpsPerCpuSecond: (forwarded * bytesPerPacket * 8) / 1e6 / (cpuMicros / 1e6),
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      lossPercent: Math.max(0, (1 - forwarded / Math.max(1, sent)) * 100),
      rssPerParticipantMB: Number(after.rss) / 1e6 / (consultations * 2),
    };
  } finally {
    for (const pc of pcs) await pc.close();
    await sfu.stop();
  }
}

export async function benchSfu(levels = [5, 10, 20, 30], seconds = 5): Promise<SfuFigures> {
  const base = await baseline(3);
  const results: SfuLevel[] = [];
  for (const n of levels) {
    console.log(`  ${n} consultations…`);
    results.push(await level(n, seconds));
  }
  return { baselineP50Ms: base.p50, baselineP99Ms: base.p99, levels: results };
}

if (import.meta.main) console.log(JSON.stringify(await benchSfu(process.argv[2] ? process.argv[2].split(",").map(Number) : undefined), null, 1));
export { median };
