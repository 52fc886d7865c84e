// The SFU under test, alone in its own process so its CPU time is its own. Driven by scripts/bench/sfu.ts over
// stdin/stdout, one JSON object per line. Media goes over UDP on loopback like a real deployment's.
import { MediaServer, type PublishedMedia } from "../../src/rooms/sfu/media-server.ts";

const server = new MediaServer({ portRange: [42000, 43999], advertise: ["127.0.0.1"] });
const published = new Map<string, PublishedMedia>();
const waiting = new Map<string, (m: PublishedMedia) => void>();
const subscriptions = new Map<string, { accept: (sdp: string) => Promise<void> }>();
let nextSub = 0;

const reply = (message: object): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

async function handle(msg: { id: number; op: string; [k: string]: unknown }): Promise<void> {
  switch (msg.op) {
    case "publish": {
      const key = String(msg.key);
      const p = await server.publish(String(msg.sdp), (media) => {
        published.set(key, media);
        waiting.get(key)?.(media);
      });
      return reply({ id: msg.id, sdp: p.answerSdp });
    }
    case "subscribe": {
      const key = String(msg.source);
      const media = published.get(key) ?? (await new Promise<PublishedMedia>((resolve) => waiting.set(key, resolve)));
      const sub = await server.subscribe(media);
      const subId = String(nextSub++);
      subscriptions.set(subId, sub);
      return reply({ id: msg.id, subId, sdp: sub.offerSdp });
    }
    case "accept":
      await subscriptions.get(String(msg.subId))!.accept(String(msg.sdp));
      return reply({ id: msg.id });
    case "usage": {
      const cpu = process.cpuUsage();
      return reply({ id: msg.id, cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage.rss() });
    }
    case "exit":
      reply({ id: msg.id });
      setTimeout(() => process.exit(0), 50);
      return;
  }
}

let buffer = "";
process.stdin.on("data", (chunk: Buffer) => {
  buffer += chunk.toString();
  let nl: number;
  while ((nl = buffer.indexOf("\n")) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line.trim()) void handle(JSON.parse(line)).catch((err) => reply({ error: String(err) }));
  }
});
reply({ ready: true });
