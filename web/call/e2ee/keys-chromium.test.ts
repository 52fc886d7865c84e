// The key exchange between two engines: one side in Debian's Chromium (the browser people use), the other in Bun,
// so the two WebCrypto implementations must agree byte for byte on the handshake, the code and the wrapped keys.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../../test/support/browser.ts";
import { CallKeys, type KeyEvent, type Outgoing } from "./keys.ts";

let browser: Browser;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const built = await Bun.build({ entrypoints: [`${import.meta.dir}/keys.ts`], target: "browser", format: "esm" });
  const js = await built.outputs[0]!.text();
  const page = `<script type="module">import { CallKeys } from "/keys.js"; window.CallKeys = CallKeys;</script>`;
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (r) =>
      new URL(r.url).pathname === "/keys.js"
        ? new Response(js, { headers: { "content-type": "text/javascript" } })
        : new Response(page, { headers: { "content-type": "text/html" } }),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.stop();
});

/** A CallKeys inside the page; events come back as JSON with KIDs and keys as text. */
async function pageKeys(page: Page, room: string, me: string): Promise<void> {
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.waitForFunction(() => "CallKeys" in window);
  await page.evaluate(
    async ([room, me]) => {
      const w = window as unknown as { CallKeys: typeof CallKeys; keys: CallKeys; events: unknown[] };
      w.keys = await w.CallKeys.create(room, me);
      w.events = [];
      w.keys.onEvent = (e) =>
        w.events.push(JSON.parse(JSON.stringify(e, (_, v) => (typeof v === "bigint" ? String(v) : v instanceof Uint8Array ? Array.from(v, (b) => b.toString(16).padStart(2, "0")).join("") : v))));
    },
    [room, me] as const,
  );
}

test("Chromium and Bun agree on the code and hold each other's media keys", async () => {
  const page = await browser.newPage();
  await pageKeys(page, "room-x", "alice");
  const bob = await CallKeys.create("room-x", "bob");
  const bobEvents: KeyEvent[] = [];
  bob.onEvent = (e) => bobEvents.push(e);

  const inbox: { from: string; out: Outgoing }[] = [];
  const post = (from: string, outs: Outgoing[]): void => outs.forEach((out) => inbox.push({ from, out }));
  const inPage = <T>(fn: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(([fn, args]) => (window as unknown as { keys: Record<string, (...a: unknown[]) => Promise<T>> }).keys[fn]!(...args), [fn, args] as const);
  post("alice", await inPage<Outgoing[]>("setParticipants", ["alice", "bob"]));
  post("bob", await bob.setParticipants(["alice", "bob"]));
  while (inbox.length > 0) {
    const { from, out } = inbox.shift()!;
    const body = JSON.parse(JSON.stringify(out.body));
    post(out.to, out.to === "bob" ? await bob.receive(from, body) : await inPage<Outgoing[]>("receive", from, body));
  }

  type Seen = { type: string; emoji?: string[]; kid?: string; key?: string };
  const aliceEvents = (await page.evaluate(() => (window as unknown as { events: unknown[] }).events)) as Seen[];
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  const bobCode = bobEvents.find((e) => e.type === "code") as Extract<KeyEvent, { type: "code" }>;
  expect(aliceEvents.find((e) => e.type === "code")?.emoji).toEqual(bobCode.emoji);
  const aliceSends = aliceEvents.find((e) => e.type === "sending-key")!;
  const bobHolds = bobEvents.find((e) => e.type === "receiving-key") as Extract<KeyEvent, { type: "receiving-key" }>;
  expect(hex(bobHolds.key)).toBe(aliceSends.key!);
  const bobSends = bobEvents.find((e) => e.type === "sending-key") as Extract<KeyEvent, { type: "sending-key" }>;
  expect(aliceEvents.find((e) => e.type === "receiving-key")?.key).toBe(hex(bobSends.key));
  expect([...aliceEvents, ...bobEvents].filter((e) => e.type === "tampered")).toEqual([]);
  await page.close();
}, 60_000);
