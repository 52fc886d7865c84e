// The SFU's metrics with real WebRTC peers (werift) on both sides: what the forwarding path counts reaches a scrape.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { GenericNack, MediaStreamTrack, RTCPeerConnection, RtcpTransportLayerFeedback } from "werift";
import { iceServersNow } from "../src/rooms/turn.ts";
import { startCoturn } from "./support/coturn.ts";
import { createMetrics, type Metrics } from "../src/ops/metrics.ts";
import { MediaServer } from "../src/rooms/sfu/media-server.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { connected, gathered, PEER_CONFIG, type Publisher, publishThrough, type Viewer, viewThrough } from "./support/werift-peers.ts";

const server = new MediaServer({ portRange: [46500, 46999], advertise: ["127.0.0.1"] });
let inst: TestInstallation;
let metrics: Metrics;
let publisher: Publisher;
let viewer: Viewer;
let before: string;
let seq = 100;

/** The value of one sample (summed over label sets that match). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

async function sendFor(ms: number, skip: (s: number) => boolean = () => false): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const s = seq++;
    if (!skip(s)) publisher.sendVideo(s);
    await Bun.sleep(10);
  }
}

beforeAll(async () => {
  inst = makeInstallation();
  metrics = createMetrics(inst);
  before = await metrics.scrape();
  publisher = await publishThrough(server, 5151);
  viewer = await viewThrough(server, publisher.media);
  const deadline = performance.now() + 5000;
  while (viewer.videoSeqs.length < 20 && performance.now() < deadline) await sendFor(50);
});
afterAll(async () => {
  await viewer?.close();
  await publisher?.close();
  metrics?.close();
  inst?.close();
});

test("forwarded packets and bytes are counted by kind", async () => {
  const received = viewer.videoSeqs.length;
  expect(received).toBeGreaterThanOrEqual(20);
  const after = await metrics.scrape();
  const packets = value(after, "kabinet_sfu_packets_forwarded_total", { kind: "video" }) - value(before, "kabinet_sfu_packets_forwarded_total", { kind: "video" });
  expect(packets).toBeGreaterThanOrEqual(received);
  const bytes = value(after, "kabinet_sfu_bytes_forwarded_total", { kind: "video" }) - value(before, "kabinet_sfu_bytes_forwarded_total", { kind: "video" });
  expect(bytes).toBeGreaterThanOrEqual(received * 800); // each packet carries 800 bytes of payload, and more on the wire
  expect(value(after, "kabinet_sfu_packets_forwarded_total", { kind: "audio" })).toBe(value(before, "kabinet_sfu_packets_forwarded_total", { kind: "audio" }));
});

test("the receiver's reports give round-trip times and the packets it lost", async () => {
  const start = await metrics.scrape();
  // Ten packets that never reach the SFU: the receiver sees the gap and reports it lost. (Before the NACK test: RFC 3550
  // counts a duplicate as received, so a retransmitted packet would take one off the loss the receiver reports.)
  const gapFrom = seq + 20;
  await sendFor(4000, (s) => s >= gapFrom && s < gapFrom + 10);
  let now = await metrics.scrape();
  const deadline = performance.now() + 6000;
  while (performance.now() < deadline && (value(now, "kabinet_sfu_rtt_seconds_count") === value(start, "kabinet_sfu_rtt_seconds_count") || value(now, "kabinet_sfu_packets_lost_total", { kind: "video" }) - value(start, "kabinet_sfu_packets_lost_total", { kind: "video" }) < 10)) {
    await sendFor(500);
    now = await metrics.scrape();
  }
  expect(value(now, "kabinet_sfu_packets_lost_total", { kind: "video" }) - value(start, "kabinet_sfu_packets_lost_total", { kind: "video" })).toBe(10);
  const samples = value(now, "kabinet_sfu_rtt_seconds_count") - value(start, "kabinet_sfu_rtt_seconds_count");
  expect(samples).toBeGreaterThan(0);
  // On loopback a round trip takes well under the first bucket's 5 ms (plus the receiver's report scheduling).
  const mean = (value(now, "kabinet_sfu_rtt_seconds_sum") - value(start, "kabinet_sfu_rtt_seconds_sum")) / samples;
  expect(mean).toBeGreaterThanOrEqual(0);
  expect(mean).toBeLessThan(0.1);
  expect(value(now, "kabinet_sfu_rtt_seconds_bucket", { le: "+Inf" })).toBe(value(now, "kabinet_sfu_rtt_seconds_count"));
}, 20_000);

test("a receiver's keyframe request and NACK show as keyframe requests, NACKs and retransmissions", async () => {
  const start = await metrics.scrape();
  const receiver = viewer.videoTransceiver().receiver;
  await receiver.sendRtcpPLI(receiver.tracks[0]!.ssrc!);
  const lost = viewer.videoSeqs.at(-3)!;
  await receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: receiver.tracks[0]!.ssrc!, lost: [lost] }) })]);
  let now = start;
  const deadline = performance.now() + 3000;
  while (performance.now() < deadline) {
    now = await metrics.scrape();
    if (value(now, "kabinet_sfu_retransmissions_total") > value(start, "kabinet_sfu_retransmissions_total") && value(now, "kabinet_sfu_keyframe_requests_total") > value(start, "kabinet_sfu_keyframe_requests_total")) break;
    await Bun.sleep(20);
  }
  expect(value(now, "kabinet_sfu_keyframe_requests_total") - value(start, "kabinet_sfu_keyframe_requests_total")).toBe(1);
  expect(value(now, "kabinet_sfu_nacks_total") - value(start, "kabinet_sfu_nacks_total")).toBe(1);
  expect(value(now, "kabinet_sfu_retransmissions_total") - value(start, "kabinet_sfu_retransmissions_total")).toBe(1);
});

test("a publisher whose media reaches the SFU through a TURN relay counts as relayed, until it leaves", async () => {
  expect(value(await metrics.scrape(), "kabinet_sfu_peers_relayed")).toBe(0); // the publisher above: host candidates
  const turn = await startCoturn({ allowedPeer: "127.0.0.1" });
  const pc = new RTCPeerConnection({ ...PEER_CONFIG, iceTransportPolicy: "relay", iceServers: iceServersNow({ iceServers: [{ urls: `turn:${turn.host}:${turn.port}?transport=udp` }], turnSecret: turn.secret }) });
  try {
    pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendonly" });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    expect(pc.localDescription!.sdp).toContain("typ relay");
    const published = await server.publish(pc.localDescription!.sdp, () => {});
    await pc.setRemoteDescription({ type: "answer", sdp: published.answerSdp });
    await connected(pc);
    expect(value(await metrics.scrape(), "kabinet_sfu_peers_relayed")).toBe(1);
    await published.close();
    expect(value(await metrics.scrape(), "kabinet_sfu_peers_relayed")).toBe(0);
  } finally {
    await pc.close();
    await turn.stop();
  }
}, 30_000);
