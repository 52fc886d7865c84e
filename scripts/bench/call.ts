// Joining a call as a client feels it: from the click on Join until the first frame of the specialist's camera is
// decoded, in real Chromium through Kabinet's SFU on loopback, the specialist admitting as soon as someone waits
// (a watcher in their page clicks "Let in" the moment the button appears). Each run uses a new room, so every join
// goes through the waiting room. Also the bytes a phone downloads to open the call page (JS + CSS, gzip as Caddy's
// `encode` sends them). Bounded: ten joins, each given at most 20 s.
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createRoom } from "../../src/rooms/rooms.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "../../test/support/accounts.ts";
import { launchChromium } from "../../test/support/browser.ts";
import { serveInstallation, type ServedInstallation } from "../../test/support/installation.ts";
import { fmt, median } from "./stats.ts";

export interface CallFigures {
  joinsMs: number[];
  joinMedianMs: number;
  assets: { url: string; bytes: number; gzipBytes: number }[];
  firstLoadGzipBytes: number;
  firstLoadBytes: number;
  htmlGzipBytes: number;
}

const JOINS = 10;

export async function benchCall(): Promise<CallFigures> {
  const media = 30000 + Math.floor(Math.random() * 20000);
  const served: ServedInstallation = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 60}`, KABINET_PUBLIC_IP: "127.0.0.1" });
  const { inst, origin } = served;
  let browser: Browser | null = null;
  try {
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr. Bench" });
    browser = await launchChromium();
    const as = async (person: TestPerson): Promise<BrowserContext> => {
      const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, locale: "en-US", permissions: ["camera", "microphone"] });
      const [name, value] = cookieFor(inst, person.personId).split("=") as [string, string];
      await context.addCookies([{ name, value, url: origin }]);
      return context;
    };
    const hostContext = await as(specialist);
    const host = await hostContext.newPage();

    const joinsMs: number[] = [];
    let assets: CallFigures["assets"] = [];
    let htmlGzipBytes = 0;
    for (let i = 0; i < JOINS; i++) {
      const client = await addPerson(inst, admin.personId, "client", { name: `Client ${i + 1}` });
      const { room } = createRoom(inst, specialist.personId, inst.clock.now(), { guests: [client.personId] });
      const url = `${origin}/rooms/${room.id}`;
      await host.goto(url);
      await admitEveryone(host);
      await host.locator("#join").click();
      await host.waitForFunction(() => (window as unknown as { kabinetCall?: object }).kabinetCall !== undefined);

      const guestContext = await as(client);
      const guest = await guestContext.newPage();
      const response = await guest.goto(url);
      if (i === 0) {
        htmlGzipBytes = gzipSync(Buffer.from(await response!.text()), { level: 5 }).length;
        assets = await pageAssets(guest, origin);
      }
      await guest.locator("#join:not([disabled])").waitFor();
      const ms = await guest.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const call = (window as unknown as { kabinetCall: { stats(): Promise<{ framesDecoded: number }> } }).kabinetCall;
            const started = performance.now();
            (document.getElementById("join") as HTMLButtonElement).click();
            const poll = async (): Promise<void> => {
              if ((await call.stats()).framesDecoded > 0) return resolve(performance.now() - started);
              if (performance.now() - started > 20_000) return reject(new Error("no remote frame within 20 s"));
              setTimeout(poll, 10);
            };
            void poll();
          }),
      );
      joinsMs.push(ms);
      console.log(`  join ${i + 1}: ${fmt(ms, 0)} ms to the first remote frame`);
      await guestContext.close();
    }
    const firstLoadGzipBytes = assets.reduce((sum, a) => sum + a.gzipBytes, 0);
    const firstLoadBytes = assets.reduce((sum, a) => sum + a.bytes, 0);
    return { joinsMs, joinMedianMs: median(joinsMs), assets, firstLoadGzipBytes, firstLoadBytes, htmlGzipBytes };
  } finally {
    await browser?.close();
    await served.stop();
  }
}

/** The specialist's page lets in whoever waits, the moment the button appears. */
async function admitEveryone(page: Page): Promise<void> {
  await page.evaluate(() => {
    const admit = () => {
      for (const b of document.querySelectorAll<HTMLButtonElement>("#waiting-list button")) if (b.textContent?.trim() === "Let in") b.click();
    };
    new MutationObserver(admit).observe(document.body, { subtree: true, childList: true });
  });
}

/** Every script and stylesheet the call page loads, with its size as sent plain and gzipped. */
async function pageAssets(page: Page, origin: string): Promise<CallFigures["assets"]> {
  const urls = await page.evaluate(() => [
    ...[...document.querySelectorAll<HTMLScriptElement>("script[src]")].map((s) => s.src),
    ...[...document.querySelectorAll<HTMLLinkElement>("link[rel=stylesheet]")].map((l) => l.href),
  ]);
  const out: CallFigures["assets"] = [];
  for (const url of urls) {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    out.push({ url: url.replace(origin, "").replace(/\.[0-9a-f]{16}\./, "."), bytes: body.length, gzipBytes: gzipSync(body, { level: 5 }).length });
  }
  return out;
}

const verdict = (ok: boolean): string => (ok ? "met" : "**missed**");
const kb = (bytes: number): string => fmt(bytes / 1024, 1);

export function callSection(f: CallFigures): string {
  return `## Joining a call

A client on a phone-sized page (390×844) clicks Join; the specialist's page lets them in as soon as they wait (a
watcher clicks "Let in" the moment it appears); measured in the client's page from the click until the first video
frame of the specialist's (fake) camera is decoded, through Kabinet's SFU on loopback, real Chromium on both sides,
a new room for each of ${f.joinsMs.length} joins (\`scripts/bench/call.ts\`): median **${fmt(f.joinMedianMs, 0)} ms**
(each run: ${f.joinsMs.map((m) => fmt(m, 0)).join(", ")} ms). Target ≤ 1 s: ${verdict(f.joinMedianMs <= 1000)}.

First load of the call page: what a browser fetches besides the HTML (gzip level 5, as Caddy's \`encode\` sends it):

| asset | bytes | gzip |
|---|---:|---:|
${f.assets.map((a) => `| \`${a.url}\` | ${kb(a.bytes)} KB | ${kb(a.gzipBytes)} KB |`).join("\n")}
| **JS + CSS** | ${kb(f.firstLoadBytes)} KB | **${kb(f.firstLoadGzipBytes)} KB** |

Target ≤ 60 KB compressed: ${verdict(f.firstLoadGzipBytes <= 60 * 1024)}. The page's HTML itself: ${kb(f.htmlGzipBytes)} KB gzipped.
`;
}
