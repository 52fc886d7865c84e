// Feedback through the SFU, with real WebRTC peers on both sides: a receiver's keyframe request (PLI) reaches the
// publisher; a receiver's retransmission request (NACK) is answered by the SFU from its own cache.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { GenericNack, RtcpTransportLayerFeedback } from "werift";
import { egressCounts } from "../src/rooms/sfu/fast-egress.ts";
import { MediaServer } from "../src/rooms/sfu/media-server.ts";
import { type Publisher, publishThrough, type Viewer, viewThrough } from "./support/werift-peers.ts";

const server = new MediaServer({ portRange: [46000, 46499], advertise: ["127.0.0.1"] });
let publisher: Publisher;
let viewer: Viewer;

beforeAll(async () => {
  publisher = await publishThrough(server, 4242);
  viewer = await viewThrough(server, publisher.media);
  for (let s = 100; s < 160; s++) {
    publisher.sendVideo(s);
    await Bun.sleep(5);
  }
  const deadline = Date.now() + 5000;
  while (!viewer.videoSeqs.includes(150) && Date.now() < deadline) await Bun.sleep(20);
});
afterAll(async () => {
  await viewer?.close();
  await publisher?.close();
});

test("media flows publisher → SFU → viewer, through the SFU's own egress once DTLS is up", () => {
  expect(viewer.videoSeqs.filter((s) => s >= 100 && s < 160).length).toBeGreaterThan(50);
  expect(egressCounts.fast).toBeGreaterThan(40);
  // Straight to Bun's UDP socket, no lookup hop. Under a loaded machine the socket may refuse a datagram (ENOBUFS:
  // lost, as on the wire) or not take it at once (then node:dgram queues it): a handful, never the rule.
  expect(egressCounts.direct).toBeGreaterThan(egressCounts.fast * 0.9);
  expect(egressCounts.direct + egressCounts.viaDgram + egressCounts.refused).toBeGreaterThanOrEqual(egressCounts.fast);
});

test("a viewer's keyframe request reaches the publisher", async () => {
  let plis = 0;
  publisher.videoTransceiver.sender.onPictureLossIndication.subscribe(() => plis++);
  const receiverTrack = viewer.videoTransceiver().receiver.tracks[0]!;
  await viewer.videoTransceiver().receiver.sendRtcpPLI(receiverTrack.ssrc!);
  const deadline = Date.now() + 3000;
  while (plis === 0 && Date.now() < deadline) await Bun.sleep(20);
  expect(plis).toBeGreaterThan(0);
});

test("a viewer's NACK is answered by the SFU's own cache: the packet arrives again", async () => {
  const receiver = viewer.videoTransceiver().receiver;
  const seq = 130;
  const before = viewer.videoSeqs.filter((s) => s === seq).length;
  expect(before).toBe(1);
  const nack = new GenericNack({ senderSsrc: 1, mediaSourceSsrc: receiver.tracks[0]!.ssrc!, lost: [seq] });
  await receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback: nack })]);
  const deadline = Date.now() + 3000;
  while (viewer.videoSeqs.filter((s) => s === seq).length === before && Date.now() < deadline) await Bun.sleep(20);
  expect(viewer.videoSeqs.filter((s) => s === seq).length).toBeGreaterThan(before);
  expect(egressCounts.retransmitted).toBeGreaterThan(0);
});
