// Joining a call as a client feels it: from the click on Join until the first frame of the specialist's camera is
// decoded, in real Chromium through Kabinet's SFU on loopback, the specialist admitting as soon as someone waits
// (a watcher in their page clicks "Let in" the moment the button appears). Each run uses a new room, so every join
// goes through the waiting room. Also the bytes a phone downloads to open the call page (JS + CSS, gzip as Caddy's
// `encode` sends them). Bounded: ten joins, each given at most 20 s.
import { loadavg } from "node:os";
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createRoom } from "../../src/rooms/rooms.ts";
import { getSettings, saveSettings } from "../../src/settings/settings.ts";
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

/** A served installation with a specialist and a browser, and one measured join at a time in new rooms. */
interface Rig {
  origin: string;
  /** A browser context signed in as the person; `incapable` removes both ways of reaching encoded frames, as an
   * older browser that cannot encrypt end to end (the same init script as test/e2e/e2ee.test.ts). */
  as(person: TestPerson, incapable?: boolean): Promise<BrowserContext>;
  /** A new client and a new room, the host (on `host`) in the call, then the client's join measured. */
  join(host: Page, as: (p: TestPerson) => Promise<BrowserContext>, label: string, each?: (guest: Page, html: string, first: boolean) => Promise<void>): Promise<{ ms: number; guest: Page; hostPage: Page; close: () => Promise<void> }>;
  specialist: TestPerson;
  inst: ServedInstallation["inst"];
  stop(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const media = 30000 + Math.floor(Math.random() * 20000);
  const served: ServedInstallation = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 60}`, KABINET_PUBLIC_IP: "127.0.0.1" });
  const { inst, origin } = served;
  let browser: Browser | null = null;
  try {
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr. Bench" });
    browser = await launchChromium();
    let clients = 0;
    const as = async (person: TestPerson, incapable = false): Promise<BrowserContext> => {
      const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, locale: "en-US", permissions: ["camera", "microphone"] });
      const [name, value] = cookieFor(inst, person.personId).split("=") as [string, string];
      await context.addCookies([{ name, value, url: origin }]);
      if (incapable) {
        await context.addInitScript(() => {
          delete (window as unknown as Record<string, unknown>).RTCRtpScriptTransform;
          delete (RTCRtpSender.prototype as unknown as Record<string, unknown>).createEncodedStreams;
        });
      }
      return context;
    };
    const join: Rig["join"] = async (host, guestAs, label, each) => {
      const client = await addPerson(inst, admin.personId, "client", { name: `Client ${++clients}` });
      const { room } = createRoom(inst, specialist.personId, inst.clock.now(), { guests: [client.personId] });
      const url = `${origin}/rooms/${room.id}`;
      await host.goto(url);
      await admitEveryone(host);
      await host.locator("#join").click();
      await host.waitForFunction(() => (window as unknown as { kabinetCall?: object }).kabinetCall !== undefined);

      const guestContext = await guestAs(client);
      const guest = await guestContext.newPage();
      const response = await guest.goto(url);
      if (each) await each(guest, await response!.text(), clients === 1);
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
      console.log(`  join ${label}: ${fmt(ms, 0)} ms to the first remote frame`);
      return { ms, guest, hostPage: host, close: () => guestContext.close() };
    };
    const b = browser;
    return {
      origin,
      as,
      join,
      specialist,
      inst,
      stop: async () => {
        await b.close();
        await served.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await served.stop();
    throw err;
  }
}

export async function benchCall(): Promise<CallFigures> {
  const r = await rig();
  try {
    const host = await (await r.as(r.specialist)).newPage();
    const joinsMs: number[] = [];
    let assets: CallFigures["assets"] = [];
    let htmlGzipBytes = 0;
    for (let i = 0; i < JOINS; i++) {
      const j = await r.join(host, (p) => r.as(p), String(i + 1), async (guest, html, first) => {
        if (!first) return;
        htmlGzipBytes = gzipSync(Buffer.from(html), { level: 5 }).length;
        assets = await pageAssets(guest, r.origin);
      });
      joinsMs.push(j.ms);
      await j.close();
    }
    const firstLoadGzipBytes = assets.reduce((sum, a) => sum + a.gzipBytes, 0);
    const firstLoadBytes = assets.reduce((sum, a) => sum + a.bytes, 0);
    return { joinsMs, joinMedianMs: median(joinsMs), assets, firstLoadGzipBytes, firstLoadBytes, htmlGzipBytes };
  } finally {
    await r.stop();
  }
}

export interface JoinE2eeFigures {
  /** Each counted join, in the order run. */
  on: number[];
  off: number[];
  onMedianMs: number;
  offMedianMs: number;
  /** Median with end-to-end encryption minus median without. */
  addedMs: number;
  /** On minus off within each neighbouring pair of joins, less swayed by the machine's load drifting. */
  pairDiffsMs: number[];
  /** What the pages reported after each join, checked: the "on" joins decrypted the specialist's frames. */
  checked: string;
  load: [number, number];
}

const E2EE_PAIRS = 10;
interface E2eeSnapshot {
  state: string;
  frames: { encrypted: number; decrypted: Record<string, number> } | null;
}
const snapshot = (page: Page): Promise<E2eeSnapshot> => page.evaluate(() => (window as unknown as { kabinetCall: { e2ee(): Promise<E2eeSnapshot> } }).kabinetCall.e2ee());
const decrypted = (s: E2eeSnapshot): number => Object.values(s.frames?.decrypted ?? {}).reduce((a, b) => a + b, 0);

/** Throws unless both pages are in the state the join was meant to measure: a bench that measured the wrong thing is worse than none. */
async function confirm(mode: "on" | "off", guest: Page, host: Page): Promise<{ guest: E2eeSnapshot; host: E2eeSnapshot }> {
  const until = performance.now() + 10_000;
  for (;;) {
    const s = { guest: await snapshot(guest), host: await snapshot(host) };
    const ok =
      mode === "on"
        ? [s.guest, s.host].every((x) => (x.state === "on" || x.state === "verified") && decrypted(x) > 0 && (x.frames?.encrypted ?? 0) > 0)
        : [s.guest, s.host].every((x) => x.state === "off" && (x.frames?.encrypted ?? 0) === 0);
    if (ok) return s;
    if (performance.now() > until) throw new Error(`a join meant to be end-to-end encrypted ${mode} was not: guest ${JSON.stringify(s.guest)}, host ${JSON.stringify(s.host)}`);
    await Bun.sleep(100);
  }
}

/**
 * Joins with end-to-end encryption on (both browsers encrypt, as normal) and off (neither browser can, and the
 * organisation allows unencrypted calls), alternated ABBA after one uncounted join of each, the same count each.
 * Each join is checked afterwards: "on" pages report state on with frames encrypted and decrypted, "off" pages state off.
 */
export async function benchJoinE2ee(pairs = E2EE_PAIRS): Promise<JoinE2eeFigures> {
  const load0 = loadavg()[0]!;
  const r = await rig();
  try {
    const hosts = { on: await (await r.as(r.specialist)).newPage(), off: await (await r.as(r.specialist, true)).newPage() };
    const allow = (yes: boolean) => saveSettings(r.inst.db, { ...getSettings(r.inst.db)!, unencryptedCalls: yes });
    const ms = { on: [] as number[], off: [] as number[] };
    const seen = { on: { guest: 0, host: 0 }, off: 0 };
    const order: ("on" | "off")[] = ["on", "off"]; // warm-up
    for (let i = 0; i < pairs; i++) order.push(...(i % 2 ? (["off", "on"] as const) : (["on", "off"] as const)));
    for (const [i, mode] of order.entries()) {
      allow(mode === "off");
      const j = await r.join(hosts[mode], (p) => r.as(p, mode === "off"), `${i < 2 ? "warm-up" : i - 1}, E2EE ${mode}`);
      const s = await confirm(mode, j.guest, hosts[mode]);
      if (mode === "on") {
        seen.on.guest = Math.max(seen.on.guest, decrypted(s.guest));
        seen.on.host = Math.max(seen.on.host, decrypted(s.host));
      } else seen.off++;
      if (i >= 2) ms[mode].push(j.ms);
      await j.close();
      // Out of the call, or this host would go on encoding its camera through the other mode's joins.
      await hosts[mode].goto("about:blank");
    }
    allow(false);
    const pairDiffsMs = ms.on.map((on, i) => on - ms.off[i]!); // counted joins come in pairs, one of each
    const onMedianMs = median(ms.on);
    const offMedianMs = median(ms.off);
    return {
      on: ms.on,
      off: ms.off,
      onMedianMs,
      offMedianMs,
      addedMs: onMedianMs - offMedianMs,
      pairDiffsMs,
      checked: `every "on" join: both pages reported state on with frames encrypted and decrypted; every "off" join: both pages reported state off, nothing encrypted`,
      load: [load0, loadavg()[0]!],
    };
  } finally {
    await r.stop();
  }
}

const signed = (ms: number): string => `${ms >= 0 ? "+" : "−"}${fmt(Math.abs(ms), 0)}`;

/** Rows for the end-to-end encryption section's table. */
export function joinE2eeRows(f: JoinE2eeFigures): string[] {
  const runs = (xs: number[]) => xs.map((x) => fmt(x, 0)).join(", ");
  return [
    `| join (click → first decoded frame), E2EE on, median of ${f.on.length} | **${fmt(f.onMedianMs, 0)}** (${runs(f.on)}) ms | both browsers encrypt |`,
    `| join, E2EE off, median of ${f.off.length} | **${fmt(f.offMedianMs, 0)}** (${runs(f.off)}) ms | neither browser can; the organisation allows it |`,
    `| join time added by E2EE, on − off medians | **${signed(f.addedMs)} ms** (pair by pair: ${f.pairDiffsMs.map(signed).join(", ")}; median ${signed(median(f.pairDiffsMs))}) | target ≤ +200 ms: ${verdict(f.addedMs <= 200)} |`,
  ];
}

export function joinE2eeParagraph(f: JoinE2eeFigures): string {
  return `Join time with end-to-end encryption (\`benchJoinE2ee\` in \`scripts/bench/call.ts\`, run by \`npm run bench -- e2ee\`): the
join of the section "Joining a call" (a new room each time, click on Join until the first decoded frame of the
specialist's camera, real Chromium both sides through the SFU on loopback), with end-to-end encryption on (both
browsers encrypt, as normally) and off (an init script removes \`RTCRtpScriptTransform\` and \`createEncodedStreams\`
from both browsers, as on a browser that cannot encrypt, and the organisation's setting allows unencrypted calls),
${f.on.length} joins each, alternated (on, off, off, on, …) after one uncounted join of each; load average
${f.load.map((x) => fmt(x, 1)).join(" → ")}. Checked after each join, or the benchmark fails: ${f.checked}.
With encryption on, a join also waits for the keys: each browser derives its key pair, the keys go through the
server to the other side, and the first frame can only be decoded once its key has arrived: frames that come
before it are dropped, and the receiver asks for a keyframe once frames decrypt (\`web/call/e2ee/worker.ts\`).
On this shared machine a single join takes from about 1 s to several seconds as other work comes and goes, in both
modes: the difference of the medians is the figure held to the target, and the median of the pair-by-pair
differences is given alongside, being less swayed by load that drifts during the run.
`;
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
