// The SFU under test, alone in its own process so its CPU time is its own. Driven by scripts/bench/sfu.ts over
// stdin/stdout (scripts/bench/sfu-rpc.ts). Media goes over UDP on loopback like a real deployment's.
import { MediaServer, type PublishedMedia } from "../../src/rooms/sfu/media-server.ts";
import { rpcOverStdio } from "./sfu-rpc.ts";

const server = new MediaServer({ portRange: [42000, 43999], advertise: ["127.0.0.1"] });
const published = new Map<string, PublishedMedia>();
const waiting = new Map<string, (m: PublishedMedia) => void>();
const subscriptions = new Map<string, { accept: (sdp: string) => Promise<void> }>();
let nextSub = 0;

rpcOverStdio({
  publish: async (msg) => {
    const key = String(msg.key);
    const p = await server.publish(String(msg.sdp), (media) => {
      published.set(key, media);
      if (process.env.KABINET_BENCH_DEBUG) console.error(`sfu-server: media from ${key} at ${performance.now().toFixed(0)}`);
      waiting.get(key)?.(media);
    });
    return { sdp: p.answerSdp };
  },
  subscribe: async (msg) => {
    const key = String(msg.source);
    const media = published.get(key) ?? (await new Promise<PublishedMedia>((resolve) => waiting.set(key, resolve)));
    const sub = await server.subscribe(media);
    // A receiver showing the video 960 pixels wide, so a simulcast SFU aims for the top layer (Janus's default).
    (sub as { wanted?: (width: number) => void }).wanted?.(960);
    const subId = String(nextSub++);
    subscriptions.set(subId, sub);
    return { subId, sdp: sub.offerSdp };
  },
  accept: async (msg) => {
    await subscriptions.get(String(msg.subId))!.accept(String(msg.sdp));
    return {};
  },
  exit: () => {
    setTimeout(() => process.exit(0), 50); // a CPU profile (KABINET_BENCH_PROFILE) is written on the way out
    return {};
  },
});
process.stdin.on("end", () => process.exit(0));
process.stdout.write(`${JSON.stringify({ op: "ready", id: 0 })}\n`);
