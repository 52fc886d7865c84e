// The SFU's own ingress (src/rooms/sfu/fast-ingress.ts) between two real werift peers on loopback: a publisher that
// writes RTP into its tracks and an answering peer configured like the media server's publishing side, with the fast
// ingress installed. Packets are dropped on purpose where the SFU receives them, before the ingress reads them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  GenericNack,
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtcpRrPacket,
  RtcpTransportLayerFeedback,
  RtpHeader,
  RtpPacket,
  useNACK,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
} from "werift";
import { type FastIngress, fastIngress, ingressCounts } from "../src/rooms/sfu/fast-ingress.ts";
import { iceConfiguration } from "../src/rooms/sfu/media-server.ts";
import type { RtpView } from "../src/rooms/sfu/rtp-view.ts";
import { launchChromium } from "./support/browser.ts";
import { connected, gathered, PEER_CONFIG } from "./support/werift-peers.ts";

const VP8 = { mimeType: "video/VP8", clockRate: 90000, payloadType: 96, rtcpFeedback: [useNACK(), usePLI()] };
const OPUS = { mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 };
const RTX = { mimeType: "video/rtx", clockRate: 90000, payloadType: 97, parameters: "apt=96" };

interface Received {
  view: RtpView;
  kind: string;
}

interface Call {
  publisher: RTCPeerConnection;
  sfu: RTCPeerConnection;
  video: RTCRtpTransceiver;
  audio: RTCRtpTransceiver;
  received: Received[];
  /** Sequence numbers (per kind) the SFU's side drops while `dropping` holds them; each drop is counted. */
  drop: { video: Set<number>; audio: Set<number>; once: boolean; dropped: number };
  sendVideo(seq: number): void;
  sendAudio(seq: number): void;
  /** Audio sequence numbers sent so far. */
  sentAudio: number[];
  ingress: FastIngress;
  close(): Promise<void>;
}

async function call(ports: [number, number], options: { rtx: boolean; keep?: boolean }): Promise<Call> {
  const codecs = { audio: [new RTCRtpCodecParameters(OPUS)], video: [new RTCRtpCodecParameters(VP8), ...(options.rtx ? [new RTCRtpCodecParameters(RTX)] : [])] };
  const publisher = new RTCPeerConnection({ ...PEER_CONFIG, codecs });
  const videoTrack = new MediaStreamTrack({ kind: "video" });
  const audioTrack = new MediaStreamTrack({ kind: "audio" });
  const audio = publisher.addTransceiver(audioTrack, { direction: "sendonly" });
  const video = publisher.addTransceiver(videoTrack, { direction: "sendonly" });
  await publisher.setLocalDescription(await publisher.createOffer());
  await gathered(publisher);

  const sfu = new RTCPeerConnection({ ...iceConfiguration({ portRange: ports, advertise: ["127.0.0.1"] }), codecs });
  const received: Received[] = [];
  const ingress = fastIngress(sfu, { onRtp: (view, track) => options.keep !== false && received.push({ view, kind: track.kind }) });
  await sfu.setRemoteDescription(publisher.localDescription!);
  await sfu.setLocalDescription(await sfu.createAnswer());
  await gathered(sfu);
  await publisher.setRemoteDescription(sfu.localDescription!);
  await Promise.all([connected(publisher), connected(sfu)]);

  const drop = { video: new Set<number>(), audio: new Set<number>(), once: true, dropped: 0 };
  dropOnArrival(sfu, (ssrc, seq) => {
    const set = ssrc === video.sender.ssrc ? drop.video : ssrc === audio.sender.ssrc ? drop.audio : undefined;
    if (!set?.has(seq)) return false;
    if (drop.once) set.delete(seq);
    drop.dropped++;
    return true;
  });

  const sentAudio: number[] = [];
  return {
    publisher,
    sfu,
    video,
    audio,
    received,
    drop,
    sendVideo: (seq) => videoTrack.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, marker: seq % 4 === 0 }), videoPayload(seq))),
    sentAudio,
    ingress,
    sendAudio: (seq) => {
      sentAudio.push(seq);
      audioTrack.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, marker: false }), Buffer.alloc(120, seq % 256)));
    },
    close: async () => {
      ingress.close();
      await publisher.close();
      await sfu.close();
    },
  };
}

const videoPayload = (seq: number) => Buffer.from(Array.from({ length: 900 + (seq % 37) }, (_, i) => (seq * 7 + i) % 256));

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await Bun.sleep(20);
}

/** Drops, where the SFU receives them, the RTP datagrams `drop` picks (by SSRC and sequence number) before anything
 *  else reads them (the fast ingress once installed). */
function dropOnArrival(pc: RTCPeerConnection, drop: (ssrc: number, seq: number) => boolean): void {
  const connection = pc.getTransceivers()[0]!.receiver.dtlsTransport.iceTransport.connection;
  const inner = connection.onData.execute;
  connection.onData.execute = (data: Buffer) => {
    const rtp = data.length > 12 && data[0]! >> 6 === 2 && (data[1]! < 192 || data[1]! > 208);
    if (!rtp || !drop(data.readUInt32BE(8), data.readUInt16BE(2))) inner(data);
  };
}

const seqsOf = (c: Call, kind: string) => c.received.filter((r) => r.kind === kind).map((r) => r.view.sequenceNumber);

describe("the SFU's own ingress", () => {
  let c: Call;
  beforeAll(async () => {
    c = await call([47000, 47199], { rtx: false });
    // The first packet of each stream takes werift's path, which learns the stream from it.
    c.sendVideo(1);
    c.sendAudio(1);
    await until(() => seqsOf(c, "video").includes(1) && seqsOf(c, "audio").includes(1));
  });
  afterAll(async () => {
    await c?.close();
  });

  test("packets arrive intact (payload, sequence number, timestamp, marker), carried by the fast path", async () => {
    const before = { ...ingressCounts };
    const videoTrack = c.sfu.getTransceivers().find((t) => t.kind === "video")!.receiver.tracks[0]!;
    const heard: number[] = [];
    const listening = c.ingress.listen(videoTrack, (view) => heard.push(view.sequenceNumber));
    for (let seq = 1000; seq < 1100; seq++) {
      c.sendVideo(seq);
      c.sendAudio(seq);
      await Bun.sleep(2);
    }
    await until(() => seqsOf(c, "video").includes(1099) && seqsOf(c, "audio").includes(1099));
    const videos = c.received.filter((r) => r.kind === "video" && r.view.sequenceNumber >= 1000);
    expect(videos.map((r) => r.view.sequenceNumber)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
    for (const { view } of videos) {
      const seq = view.sequenceNumber;
      expect(view.payload.equals(videoPayload(seq))).toBe(true);
      expect(view.timestamp).toBe(seq * 3000);
      expect(view.marker).toBe(seq % 4 === 0);
      expect(view.ssrc).toBe(c.video.sender.ssrc);
      expect(view.payloadType).toBe(96);
    }
    expect(seqsOf(c, "audio").filter((s) => s >= 1000)).toHaveLength(100);
    expect(heard).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i)); // a listener of the video track alone
    listening.unSubscribe();
    expect(ingressCounts.fast - before.fast).toBe(200);
    expect(ingressCounts.werift - before.werift).toBe(0);
    expect(ingressCounts.refused - before.refused).toBe(0);
  });

  test("receiver reports reach the publisher with the loss the SFU saw", async () => {
    const reports: { ssrc: number; packetsLost: number; highestSequence: number }[] = [];
    c.publisher.getTransceivers()[0]!.sender.dtlsTransport.onRtcp.subscribe((rtcp) => {
      if (rtcp instanceof RtcpRrPacket) for (const r of rtcp.reports) reports.push(r);
    });
    c.drop.once = false;
    for (const seq of [2010, 2011, 2012, 2050, 2090]) c.drop.audio.add(seq);
    for (let seq = 2000; seq < 2100; seq++) {
      c.sendAudio(seq);
      await Bun.sleep(2);
    }
    const audioSsrc = c.audio.sender.ssrc;
    await until(() => reports.some((r) => r.ssrc === audioSsrc && r.highestSequence === 2099), 6000);
    const last = reports.filter((r) => r.ssrc === audioSsrc).at(-1)!;
    expect(c.drop.dropped).toBe(5);
    expect(last.highestSequence).toBe(2099);
    // Lost: every sequence number from the first to the highest that did not arrive (gaps never sent count too).
    const sent = c.sentAudio;
    expect(last.packetsLost).toBe(2099 - sent[0]! + 1 - (sent.length - 5));
    expect(seqsOf(c, "audio").filter((s) => s >= 2000)).toHaveLength(95);
  });

  test("a lost video packet is asked for upstream (NACK) and its retransmission is delivered", async () => {
    const nacked: number[] = [];
    c.publisher.getTransceivers()[0]!.sender.dtlsTransport.onRtcp.subscribe((rtcp) => {
      if (rtcp instanceof RtcpTransportLayerFeedback && rtcp.feedback instanceof GenericNack) nacked.push(...rtcp.feedback.lost);
    });
    const before = { ...ingressCounts };
    c.drop.once = true;
    c.drop.video.add(3010);
    for (let seq = 3000; seq < 3030; seq++) {
      c.sendVideo(seq);
      await Bun.sleep(5);
    }
    await until(() => seqsOf(c, "video").includes(3010));
    expect(c.drop.video.has(3010)).toBe(false); // the original was dropped
    expect(nacked).toContain(3010);
    const repaired = c.received.filter((r) => r.view.sequenceNumber === 3010 && r.kind === "video");
    // werift repeats a NACK every 5 ms until the packet is in, so a second retransmission may come too (as without
    // this path).
    expect(repaired.length).toBeGreaterThanOrEqual(1);
    for (const { view } of repaired) expect(view.payload.equals(videoPayload(3010))).toBe(true);
    expect(seqsOf(c, "video").indexOf(3010)).toBeGreaterThan(seqsOf(c, "video").indexOf(3011)); // it came late
    expect(ingressCounts.werift - before.werift).toBe(0);
  });

  test("a tampered packet is refused, not delivered", async () => {
    const before = { ...ingressCounts };
    const connection = c.sfu.getTransceivers()[0]!.receiver.dtlsTransport.iceTransport.connection;
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: 4000, timestamp: 4000 * 3000, ssrc: c.video.sender.ssrc });
    const srtp = c.video.sender.dtlsTransport.srtp.encrypt(videoPayload(4000), header);
    srtp[40]! ^= 0x01;
    connection.onData.execute(srtp);
    await Bun.sleep(50);
    expect(ingressCounts.refused - before.refused).toBe(1);
    expect(seqsOf(c, "video")).not.toContain(4000);
    c.sendVideo(4001); // and the stream goes on
    await until(() => seqsOf(c, "video").includes(4001));
    expect(seqsOf(c, "video")).toContain(4001);
  });

  test("sender reports from the publisher still reach werift's receiver", async () => {
    const receiver = c.sfu.getTransceivers().find((t) => t.kind === "video")!.receiver as unknown as { senderReportsReceivedBySsrc: Record<number, number> };
    await until(() => (receiver.senderReportsReceivedBySsrc[c.video.sender.ssrc] ?? 0) > 0);
    expect(receiver.senderReportsReceivedBySsrc[c.video.sender.ssrc]).toBeGreaterThan(0);
  });
});

describe("the SFU's own ingress with RTX negotiated", () => {
  let c: Call;
  beforeAll(async () => {
    c = await call([47200, 47399], { rtx: true });
    c.sendVideo(1);
    await until(() => seqsOf(c, "video").includes(1));
  });
  afterAll(async () => {
    await c?.close();
  });

  test("retransmissions on the RTX stream are delivered as the packets they repair", async () => {
    const before = { ...ingressCounts };
    const lost = [5010, 5020, 5030];
    for (const seq of lost) c.drop.video.add(seq);
    for (let seq = 5000; seq < 5040; seq++) {
      c.sendVideo(seq);
      await Bun.sleep(5);
    }
    await until(() => lost.every((seq) => seqsOf(c, "video").includes(seq)));
    for (const seq of lost) {
      const repaired = c.received.filter((r) => r.kind === "video" && r.view.sequenceNumber === seq);
      expect(repaired.length).toBeGreaterThanOrEqual(1);
      for (const { view } of repaired) {
        expect(view.ssrc).toBe(c.video.sender.ssrc);
        expect(view.payloadType).toBe(96);
        expect(view.timestamp).toBe(seq * 3000);
        expect(view.payload.equals(videoPayload(seq))).toBe(true);
      }
    }
    // The RTX stream's first packet taught werift the stream; the later ones were unwrapped on the fast path.
    expect(ingressCounts.werift - before.werift).toBe(1);
    expect(ingressCounts.unwrapped - before.unwrapped).toBeGreaterThanOrEqual(2);
  });
});

describe("the SFU's own ingress started on a connection already carrying media", () => {
  test("it takes over from werift's rollover counter: packets after a sequence-number wrap still decrypt", async () => {
    const c = await call([48200, 48399], { rtx: false });
    try {
      c.ingress.close(); // werift's own path, as before the ingress existed
      const videoTrack = c.sfu.getTransceivers().find((t) => t.kind === "video")!.receiver.tracks[0]!;
      const viaWerift: number[] = [];
      videoTrack.onReceiveRtp.subscribe((rtp) => viaWerift.push(rtp.header.sequenceNumber));
      const sentBefore = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
      for (const seq of sentBefore) {
        c.sendVideo(seq);
        await Bun.sleep(5);
      }
      await until(() => viaWerift.includes(3));
      expect(viaWerift).toEqual(sentBefore); // werift's path carried them, across the wrap (its rollover counter is 1)
      const before = { ...ingressCounts };
      const received: number[] = [];
      const ingress = fastIngress(c.sfu, { onRtp: (view, track) => track.kind === "video" && received.push(view.sequenceNumber) });
      for (let seq = 4; seq < 24; seq++) {
        c.sendVideo(seq);
        await Bun.sleep(5);
      }
      await until(() => received.includes(23));
      ingress.close();
      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => 4 + i));
      // On the fast path, from the rollover counter werift had reached (a fresh one, 0, would fail every tag).
      expect(ingressCounts.refused - before.refused).toBe(0);
      expect(ingressCounts.fast - before.fast).toBeGreaterThanOrEqual(19);
    } finally {
      await c.close();
    }
  });
});

describe("CPU per received packet, werift's receive path against the fast ingress", () => {
  let c: Call;
  beforeAll(async () => {
    c = await call([47400, 47599], { rtx: false, keep: false });
    c.sendVideo(1);
    await until(() => ingressCounts.werift > 0);
  });
  afterAll(async () => {
    await c?.close();
  });

  test("the same packets cost less on the fast path (median of interleaved runs)", async () => {
    const PACKETS = 3000;
    const RUNS = 5;
    const sfuVideo = c.sfu.getTransceivers().find((t) => t.kind === "video")!;
    const connection = sfuVideo.receiver.dtlsTransport.iceTransport.connection;
    const publisherSrtp = c.video.sender.dtlsTransport.srtp;
    const midId = Number(Object.entries(c.sfu.extIdUriMap).find(([, uri]) => uri.endsWith("sdes:mid"))?.[0]);
    let seq = 100;
    // Datagrams as the publisher's werift stack encrypts them (one per packet: decryption happens in place).
    const datagrams = (): Buffer[] =>
      Array.from({ length: PACKETS }, () => {
        seq++;
        const header = new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc: c.video.sender.ssrc, marker: seq % 4 === 0 });
        if (midId) header.extensions = [{ id: midId, payload: Buffer.from("1") }];
        if (midId) header.extension = true;
        return publisherSrtp.encrypt(videoPayload(seq), header);
      });
    let delivered = 0;
    sfuVideo.receiver.tracks[0]!.onReceiveRtp.subscribe(() => delivered++);
    const cpuMicros = (): number => {
      const u = process.cpuUsage();
      return u.user + u.system;
    };
    const run = async (packets: Buffer[]): Promise<number> => {
      delivered = 0;
      const fastBefore = ingressCounts.fast;
      const start = cpuMicros();
      for (const packet of packets) connection.onData.execute(packet);
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)); // werift's queued work per packet
      const micros = (cpuMicros() - start) / packets.length;
      expect(delivered + (ingressCounts.fast - fastBefore)).toBeGreaterThanOrEqual(packets.length - 1);
      return micros;
    };
    const werift: number[] = [];
    const fast: number[] = [];
    c.ingress.close(); // werift's own path, except while a fresh ingress is installed below
    for (let r = 0; r < RUNS; r++) {
      const forWerift = datagrams();
      const forFast = datagrams();
      werift.push(await run(forWerift));
      const ingress = fastIngress(c.sfu, { onRtp: () => {} });
      fast.push(await run(forFast));
      ingress.close();
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const profile = (sfuVideo.receiver.dtlsTransport.srtp as unknown as { config: { profile: number } }).config.profile;
    console.log(`µs CPU per received packet (1100-byte VP8, SRTP profile ${profile}, median of ${RUNS} runs of ${PACKETS}): werift ${median(werift).toFixed(1)}, fast ingress ${median(fast).toFixed(1)} [werift ${werift.map((x) => x.toFixed(1)).join(" ")}; fast ${fast.map((x) => x.toFixed(1)).join(" ")}]`);
    expect(median(fast)).toBeLessThan(median(werift));
  }, 120_000);
});

/** A Chromium tab publishing its fake camera and microphone (in simulcast layers when `layers` is given) to `sfu`. */
async function publishFromChromium(
  sfu: RTCPeerConnection,
  layers?: { rid: string; scaleResolutionDownBy?: number; maxBitrate: number }[],
): Promise<{ stats(): Promise<Record<string, unknown>[]>; close(): Promise<void> }> {
  const page = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("<!doctype html><title>publisher</title>", { headers: { "content-type": "text/html" } }) });
  const browser = await launchChromium();
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${page.port}/`);
  const offer = await tab.evaluate(async (sendEncodings) => {
    const pc = new globalThis.RTCPeerConnection(); // the browser's own (this function runs in the page)
    (window as unknown as { pc: globalThis.RTCPeerConnection }).pc = pc;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 960, height: 540 } });
    for (const track of stream.getTracks()) {
      pc.addTransceiver(track, track.kind === "video" && sendEncodings ? { direction: "sendonly", sendEncodings } : { direction: "sendonly" });
    }
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === "complete") resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    });
    return pc.localDescription!.sdp;
  }, layers);
  await sfu.setRemoteDescription({ type: "offer", sdp: offer });
  await sfu.setLocalDescription(await sfu.createAnswer());
  await gathered(sfu);
  await tab.evaluate((sdp) => (window as unknown as { pc: globalThis.RTCPeerConnection }).pc.setRemoteDescription({ type: "answer", sdp }), sfu.localDescription!.sdp);
  await connected(sfu, 20_000);
  return {
    stats: () =>
      tab.evaluate(async () => {
        const all: Record<string, unknown>[] = [];
        for (const s of (await (window as unknown as { pc: globalThis.RTCPeerConnection }).pc.getStats()).values()) all.push(s as Record<string, unknown>);
        return all;
      }),
    close: async () => {
      await browser.close();
      page.stop(true);
    },
  };
}

describe("the SFU's own ingress with a Chromium publisher", () => {
  test("Chromium's camera and microphone arrive on the fast path; its lost packets are NACKed and repaired; it gets receiver reports", async () => {
    const codecs = {
      audio: [new RTCRtpCodecParameters(OPUS)],
      video: [new RTCRtpCodecParameters({ ...VP8, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
    };
    const sfu = new RTCPeerConnection({ ...iceConfiguration({ portRange: [47600, 47799], advertise: ["127.0.0.1"] }), codecs });
    const received: Received[] = [];
    const before = { ...ingressCounts };
    const ingress = fastIngress(sfu, { onRtp: (view, track) => received.push({ view, kind: track.kind }) });
    const chromium = await publishFromChromium(sfu);
    try {
      const dropped: number[] = [];
      const videoReceiver = sfu.getTransceivers().find((t) => t.kind === "video")!.receiver;
      // Two video packets in every hundred are lost once on the way in, from the second second on.
      const startedAt = Date.now();
      dropOnArrival(sfu, (ssrc, seq) => {
        if (Date.now() - startedAt < 1000 || !videoReceiver.trackBySSRC[ssrc] || seq % 50 !== 7 || dropped.includes(seq)) return false;
        dropped.push(seq);
        return true;
      });
      type Stats = { nackCount?: number; retransmittedPacketsSent?: number; roundTripTime?: number; packetsLost?: number };
      const chromeStats = async () => {
        const byType: Record<string, Stats> = {};
        for (const r of await chromium.stats()) if ((r.type === "outbound-rtp" || r.type === "remote-inbound-rtp") && r.kind === "video") byType[r.type as string] = r;
        return byType;
      };
      let stats: Record<string, Stats> = {};
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        stats = await chromeStats();
        if ((stats["outbound-rtp"]?.retransmittedPacketsSent ?? 0) > 0 && stats["remote-inbound-rtp"]?.roundTripTime !== undefined && dropped.length >= 2) break;
        await Bun.sleep(200);
      }
      await Bun.sleep(500);
      const videos = received.filter((r) => r.kind === "video" && r.view.payload.length > 0);
      const audios = received.filter((r) => r.kind === "audio");
      expect(videos.length).toBeGreaterThan(50);
      expect(audios.length).toBeGreaterThan(50);
      expect(new Set(videos.map((r) => r.view.payloadType))).toEqual(new Set([96]));
      expect(new Set(audios.map((r) => r.view.payloadType))).toEqual(new Set([111]));
      // All but the first packet of each stream on the fast path.
      expect(ingressCounts.fast - before.fast).toBeGreaterThan(videos.length + audios.length - 5);
      expect(ingressCounts.refused - before.refused).toBe(0);
      // Lost packets were asked for, sent again and delivered.
      expect(dropped.length).toBeGreaterThanOrEqual(2);
      expect(stats["outbound-rtp"]?.nackCount).toBeGreaterThan(0);
      expect(stats["outbound-rtp"]?.retransmittedPacketsSent).toBeGreaterThan(0);
      const seqs = new Set(videos.map((r) => r.view.sequenceNumber));
      expect(dropped.filter((seq) => seqs.has(seq)).length).toBeGreaterThanOrEqual(1);
      // Receiver reports reached Chromium, with the sender-report times it needs for a round-trip time.
      expect(stats["remote-inbound-rtp"]?.roundTripTime).toBeGreaterThanOrEqual(0);
    } finally {
      ingress.close();
      await chromium.close();
      await sfu.close();
    }
  }, 60_000);
});

describe("the SFU's own ingress with a Chromium publisher sending simulcast layers", () => {
  test("each layer arrives on the fast path on its own track; each layer's losses are NACKed on their own and repaired", async () => {
    const codecs = { audio: [new RTCRtpCodecParameters(OPUS)], video: [new RTCRtpCodecParameters({ ...VP8, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })] };
    // Like the media server: the mid and rid header extensions name each layer's stream.
    const headerExtensions = { audio: [useSdesMid()], video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()] };
    const sfu = new RTCPeerConnection({ ...iceConfiguration({ portRange: [47800, 47999], advertise: ["127.0.0.1"] }), codecs, headerExtensions });
    const before = { ...ingressCounts };
    const byRid = new Map<string, { ssrcs: Set<number>; seqs: Set<number>; rids: Set<string | undefined>; count: number }>();
    const ingress = fastIngress(sfu, {
      onRtp: (view, track) => {
        if (track.kind !== "video" || !track.rid) return;
        const layer = byRid.get(track.rid) ?? { ssrcs: new Set(), seqs: new Set(), rids: new Set(), count: 0 };
        byRid.set(track.rid, layer);
        layer.ssrcs.add(view.ssrc);
        layer.seqs.add(view.sequenceNumber);
        layer.rids.add(view.rid);
        layer.count++;
      },
    });
    const chromium = await publishFromChromium(sfu, [
      { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { rid: "f", maxBitrate: 1_500_000 },
    ]);
    try {
      const videoReceiver = sfu.getTransceivers().find((t) => t.kind === "video")!.receiver;
      const dropped = new Map<number, number[]>(); // by SSRC
      const startedAt = Date.now();
      dropOnArrival(sfu, (ssrc, seq) => {
        if (Date.now() - startedAt < 1500 || !videoReceiver.trackBySSRC[ssrc] || seq % 50 !== 7) return false;
        const lost = dropped.get(ssrc) ?? [];
        dropped.set(ssrc, lost);
        if (lost.includes(seq) || lost.length >= 3) return false;
        lost.push(seq);
        return true;
      });
      const repairedLayers = () => [...byRid.values()].filter((l) => [...l.ssrcs].some((ssrc) => (dropped.get(ssrc) ?? []).some((seq) => l.seqs.has(seq)))).length;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && repairedLayers() < 2) await Bun.sleep(200);
      await Bun.sleep(1500); // receiver reports for every layer
      const layers = [...byRid.entries()].filter(([, l]) => l.count > 20);
      expect(layers.length).toBeGreaterThanOrEqual(2);
      for (const [rid, layer] of layers) {
        expect(layer.ssrcs.size).toBe(1); // one SSRC per layer, never another layer's packets
        expect([...layer.rids].filter((r) => r !== undefined && r !== rid)).toEqual([]);
      }
      expect(ingressCounts.fast - before.fast).toBeGreaterThan(layers.reduce((n, [, l]) => n + l.count, 0) - 10);
      expect(repairedLayers()).toBeGreaterThanOrEqual(2);
      // Chromium's view, per layer: the NACKs it got name only that layer's few losses (a NACK generator shared by the
      // layers would see every other layer's sequence numbers as gaps), and receiver reports came for each layer.
      const stats = await chromium.stats();
      const outbound = stats.filter((s) => s.type === "outbound-rtp" && s.kind === "video" && (s.packetsSent as number) > 20);
      expect(outbound.length).toBeGreaterThanOrEqual(2);
      for (const o of outbound) {
        const lost = dropped.get(o.ssrc as number)?.length ?? 0;
        expect(o.nackCount as number).toBeLessThanOrEqual(lost * 11); // werift asks up to ten more times until it arrives
        expect(o.retransmittedPacketsSent as number).toBeLessThanOrEqual(lost * 11);
        const remote = stats.find((s) => s.type === "remote-inbound-rtp" && s.localId === o.id);
        expect(remote?.roundTripTime).toBeGreaterThanOrEqual(0);
      }
    } finally {
      ingress.close();
      await chromium.close();
      await sfu.close();
    }
  }, 60_000);
});
