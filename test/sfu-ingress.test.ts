// The SFU's own ingress (src/rooms/sfu/fast-ingress.ts) between two real werift peers on loopback: a publisher that
// writes RTP into its tracks and an answering peer configured like the media server's publishing side, with the fast
// ingress installed. Packets are dropped on purpose where the SFU receives them, before the ingress reads them.
// Media ports 44000–44799 (this file and test/e2e/sfu-ingress.test.ts): no other test or benchmark uses them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GenericNack, RtcpRrPacket, RtcpTransportLayerFeedback, RtpHeader } from "werift";
import { fastIngress, ingressCounts } from "../src/rooms/sfu/fast-ingress.ts";
import { type Call, call, seqsOf, until, videoPayload } from "./support/ingress-peers.ts";

describe("the SFU's own ingress", () => {
  let c: Call;
  beforeAll(async () => {
    c = await call([44000, 44099], { rtx: false });
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
    // werift repeats a NACK every 5 ms until the packet is in, so a second retransmission may come too: it is a
    // replay of the first and goes no further.
    await Bun.sleep(100);
    expect(repaired).toHaveLength(1);
    expect(repaired[0]!.view.payload.equals(videoPayload(3010))).toBe(true);
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

  test("a packet received twice (replayed) is delivered once", async () => {
    const before = { ...ingressCounts };
    const connection = c.sfu.getTransceivers()[0]!.receiver.dtlsTransport.iceTransport.connection;
    const inner = connection.onData.execute;
    let copy: Buffer | undefined;
    connection.onData.execute = (data: Buffer) => {
      const rtp = data.length > 12 && data[0]! >> 6 === 2 && (data[1]! < 192 || data[1]! > 208);
      if (rtp && data.readUInt16BE(2) === 4500) copy = Buffer.from(data);
      inner(data);
    };
    c.sendVideo(4500);
    await until(() => seqsOf(c, "video").includes(4500));
    connection.onData.execute = inner;
    expect(copy).toBeDefined();
    connection.onData.execute(copy!); // as an on-path attacker would send it again
    await Bun.sleep(50);
    expect(seqsOf(c, "video").filter((s) => s === 4500)).toHaveLength(1);
    expect(ingressCounts.replayed - before.replayed).toBe(1);
    expect(ingressCounts.refused - before.refused).toBe(0);
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
    c = await call([44100, 44199], { rtx: true });
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
    const c = await call([44200, 44299], { rtx: false });
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
    c = await call([44300, 44399], { rtx: false, keep: false });
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

