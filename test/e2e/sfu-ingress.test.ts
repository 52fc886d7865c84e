// The SFU's own ingress (src/rooms/sfu/fast-ingress.ts) with Chromium publishing its fake camera and microphone to an
// answering werift peer configured like the media server's publishing side: what Chromium sends (its SRTP profile,
// header extensions, simulcast layers, retransmissions) on the fast path, and what Chromium sees of the SFU's RTCP.
import { describe, expect, test } from "bun:test";
import { RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI, useREMB, useRepairedRtpStreamId, useSdesMid, useSdesRTPStreamId } from "werift";
import { fastIngress, ingressCounts } from "../../src/rooms/sfu/fast-ingress.ts";
import { iceConfiguration } from "../../src/rooms/sfu/media-server.ts";
import { dropOnArrival, OPUS, publishFromChromium, type Received, VP8 } from "../support/ingress-peers.ts";

describe("the SFU's own ingress with a Chromium publisher", () => {
  test("Chromium's camera and microphone arrive on the fast path; its lost packets are NACKed and repaired; it gets receiver reports", async () => {
    const codecs = {
      audio: [new RTCRtpCodecParameters(OPUS)],
      video: [new RTCRtpCodecParameters({ ...VP8, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
    };
    const sfu = new RTCPeerConnection({ ...iceConfiguration({ portRange: [44400, 44599], advertise: ["127.0.0.1"] }), codecs });
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
    const sfu = new RTCPeerConnection({ ...iceConfiguration({ portRange: [44600, 44799], advertise: ["127.0.0.1"] }), codecs, headerExtensions });
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
      // A layer that started late may not have had its first receiver report yet (one comes every second or so).
      let stats = await chromium.stats();
      const reported = (all: typeof stats) =>
        all.filter((s) => s.type === "outbound-rtp" && s.kind === "video" && (s.packetsSent as number) > 20).every((o) => all.some((s) => s.type === "remote-inbound-rtp" && s.localId === o.id));
      // On a loaded machine a report can take a few seconds more: wait up to ten, then ask it of two layers at least.
      for (const until = Date.now() + 10_000; Date.now() < until && !reported(stats); await Bun.sleep(250)) stats = await chromium.stats();
      const outbound = stats.filter((s) => s.type === "outbound-rtp" && s.kind === "video" && (s.packetsSent as number) > 20);
      expect(outbound.length).toBeGreaterThanOrEqual(2);
      let withReports = 0;
      for (const o of outbound) {
        const lost = dropped.get(o.ssrc as number)?.length ?? 0;
        expect(o.nackCount as number).toBeLessThanOrEqual(lost * 11); // werift asks up to ten more times until it arrives
        expect(o.retransmittedPacketsSent as number).toBeLessThanOrEqual(lost * 11);
        const remote = stats.find((s) => s.type === "remote-inbound-rtp" && s.localId === o.id);
        if (remote === undefined) continue;
        expect(remote.roundTripTime as number).toBeGreaterThanOrEqual(0);
        withReports++;
      }
      expect(withReports).toBeGreaterThanOrEqual(2);
    } finally {
      ingress.close();
      await chromium.close();
      await sfu.close();
    }
  }, 60_000);
});

