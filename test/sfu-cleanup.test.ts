// The media server cleans up after people: 100 participants join (a real werift peer publishes audio and video and
// receives another's), media flows, they leave; afterwards the process holds no more sockets and no more memory
// than a few joins' worth.
import { expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import { publishThrough, viewThrough } from "./support/werift-peers.ts";
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

/** One participant publishes fake VP8 and Opus through the SFU, a second peer receives it, both leave. */
async function oneJoinAndLeave(i: number): Promise<number> {
  const publisher = await publishThrough(server, 1000 + i);
  const viewer = await viewThrough(server, publisher.media);
  for (let s = 50; s < 110 && viewer.videoSeqs.length < 5; s++) {
    publisher.sendVideo(s);
    await Bun.sleep(10);
  }
  const received = viewer.videoSeqs.length;
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
