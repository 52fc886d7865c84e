// The media server cleans up after people: 100 participants join (a real werift peer publishes audio and video and
// receives another's), media flows, they leave; afterwards the process holds no more sockets and no more memory
// than a few joins' worth.
import { expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import { MediaServer } from "../src/rooms/sfu/media-server.ts";

const server = new MediaServer({ portRange: [48000, 48999], advertise: ["127.0.0.1"] });

function openSockets(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:");
    } catch {
      return false;
    }
  }).length;
}

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === "complete" && resolve()));
}

async function connected(pc: RTCPeerConnection): Promise<void> {
  if (pc.connectionState === "connected") return;
  await new Promise<void>((resolve, reject) => {
    pc.connectionStateChange.subscribe((s) => (s === "connected" ? resolve() : s === "failed" ? reject(new Error("ICE failed")) : undefined));
    setTimeout(() => reject(new Error("not connected within 10 s")), 10_000);
  });
}

/** One participant: publishes a fake VP8 track and Opus through the SFU, and a second peer receives it. */
async function oneJoinAndLeave(i: number): Promise<number> {
  const publisher = new RTCPeerConnection({ iceServers: [], iceAdditionalHostAddresses: ["127.0.0.1"], bundlePolicy: "max-bundle" });
  const video = new MediaStreamTrack({ kind: "video" });
  const audio = new MediaStreamTrack({ kind: "audio" });
  publisher.addTransceiver(audio, { direction: "sendonly" });
  publisher.addTransceiver(video, { direction: "sendonly" });
  await publisher.setLocalDescription(await publisher.createOffer());
  await gathered(publisher);
  let media: Parameters<Parameters<MediaServer["publish"]>[1]>[0] | null = null;
  const published = await server.publish(publisher.localDescription!.sdp, (m) => (media = m));
  await publisher.setRemoteDescription({ type: "answer", sdp: published.answerSdp });
  await connected(publisher);
  const send = (seq: number) => {
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 1000 + i, marker: true });
    video.writeRtp(new RtpPacket(header, Buffer.alloc(800, seq)));
  };
  for (let s = 0; s < 20 && !media; s++) {
    send(s);
    await Bun.sleep(20);
  }
  expect(media).not.toBeNull();

  const viewer = new RTCPeerConnection({ iceServers: [], iceAdditionalHostAddresses: ["127.0.0.1"], bundlePolicy: "max-bundle" });
  let received = 0;
  viewer.onTrack.subscribe((t) => t.onReceiveRtp.subscribe(() => received++));
  const sub = await server.subscribe(media!);
  await viewer.setRemoteDescription({ type: "offer", sdp: sub.offerSdp });
  await viewer.setLocalDescription(await viewer.createAnswer());
  await gathered(viewer);
  await sub.accept(viewer.localDescription!.sdp);
  await connected(viewer);
  for (let s = 20; s < 80 && received < 5; s++) {
    send(s);
    await Bun.sleep(10);
  }
  await sub.close();
  await published.close();
  await viewer.close();
  await publisher.close();
  return received;
}

test("100 joins and leaves leave no sockets and no memory growth behind", async () => {
  // warm up: the first joins load code and fill caches
  for (let i = 0; i < 5; i++) expect(await oneJoinAndLeave(i)).toBeGreaterThan(0);
  Bun.gc(true);
  await Bun.sleep(200);
  const socketsBefore = openSockets();
  const heapBefore = process.memoryUsage().heapUsed;

  let delivered = 0;
  for (let i = 0; i < 100; i++) if ((await oneJoinAndLeave(i)) > 0) delivered++;
  await Bun.sleep(500);
  Bun.gc(true);
  await Bun.sleep(200);
  Bun.gc(true);

  const socketsAfter = openSockets();
  const growthMB = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  console.log(`100 joins: media delivered in ${delivered}; sockets ${socketsBefore} → ${socketsAfter}; heap growth ${growthMB.toFixed(1)} MB`);
  expect(delivered).toBe(100);
  expect(socketsAfter).toBeLessThanOrEqual(socketsBefore);
  expect(growthMB).toBeLessThan(20);
}, 300_000);
