// A simulcast call where one receiver sits behind a weak link: the server, the specialist (publishing their fake
// camera in three layers) and one client are in this network namespace; a second client's Chromium runs in a second
// namespace joined to this one by a veth pair, whose direction towards it is throttled on demand to 300 kbit/s with
// 2 % UDP loss (tc tbf + nftables; this kernel has no netem, so there is no added delay beyond the queue's).
// Must start as root inside `unshare -n`: `unshare -n bun test/support/weak-link-namespace.ts <result.json>`.
import { writeFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { acceptRoomInvitation, createRoom } from "../../src/rooms/rooms.ts";
import { layerSwitches } from "../../src/rooms/sfu/video-forward.ts";
import { addPerson, cookieFor, setUpOrganisation } from "./accounts.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./browser.ts";
import { serveInstallation } from "./installation.ts";

export interface Sample {
  /** ms since the phase started */
  at: number;
  width: number;
  decoded: number;
}

export interface WeakLinkResult {
  /** The unthrottled client's picture width before the throttle (the top layer). */
  fastWidthBefore: number;
  /** ms from throttling until the throttled client got the low layer. */
  downAfterMs: number;
  /** The throttled client over 8 s once on the low layer; the unthrottled one over the same time. */
  weak: Sample[];
  fast: Sample[];
  /** ms from lifting the throttle until the throttled client had the top layer again (-1: not within 20 s). */
  upAfterMs: number;
  /** ms from the near client's window shrinking to a phone's until it got the middle layer (-1: not within 10 s). */
  smallTileAfterMs: number;
  topWidth: number;
  /** Each layer switch in the server, ms from its decision to the new layer's keyframe going out. */
  switches: number[];
  /** Errors nobody caught in the server meanwhile (a send the kernel refused must not become one). */
  uncaught: string[];
}

const [out] = process.argv.slice(2);
if (!out) throw new Error("usage: weak-link-namespace.ts <result.json>");

function run(...cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
}

// The far side: a process in a network namespace of its own, reached over the veth pair.
run("ip", "link", "set", "lo", "up");
const far = Bun.spawn(["unshare", "-n", "sleep", "300"]);
const farNet = (): string => Bun.spawnSync(["readlink", `/proc/${far.pid}/ns/net`]).stdout.toString();
const ownNet = Bun.spawnSync(["readlink", "/proc/self/ns/net"]).stdout.toString();
for (let i = 0; i < 100 && farNet() === ownNet; i++) await Bun.sleep(20);
run("ip", "link", "add", "kbw0", "type", "veth", "peer", "name", "kbw1", "netns", String(far.pid));
run("ip", "addr", "add", "10.77.0.1/24", "dev", "kbw0");
run("ip", "link", "set", "kbw0", "up");
const inFar = (...cmd: string[]) => run("nsenter", "-t", String(far.pid), "-n", ...cmd);
inFar("ip", "link", "set", "lo", "up");
inFar("ip", "addr", "add", "10.77.0.2/24", "dev", "kbw1");
inFar("ip", "link", "set", "kbw1", "up");

function throttle(): void {
  run("tc", "qdisc", "add", "dev", "kbw0", "root", "tbf", "rate", "300kbit", "burst", "4kb", "latency", "200ms");
  run("nft", "add", "table", "inet", "weak");
  run("nft", "add", "chain", "inet", "weak", "out", "{ type filter hook output priority 0; }");
  run("nft", "add", "rule", "inet", "weak", "out", "oifname", "kbw0", "meta", "l4proto", "udp", "numgen", "random", "mod", "100", "lt", "2", "drop");
}

function lift(): void {
  run("tc", "qdisc", "del", "dev", "kbw0", "root");
  run("nft", "delete", "table", "inet", "weak");
}

const uncaught: string[] = [];
process.on("uncaughtException", (e) => uncaught.push(String(e)));
process.on("unhandledRejection", (e) => uncaught.push(String(e)));

const media = 20000 + Math.floor(Math.random() * 20000);
const served = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 30}`, KABINET_PUBLIC_IP: "10.77.0.1" }, "10.77.0.1");
const browsers: Browser[] = [];
try {
  const { inst, origin } = served;
  const admin = await setUpOrganisation(inst);
  const specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr. Anna Petrova" });
  const near = await addPerson(inst, admin.personId, "client", { name: "Near Nadia" });
  const weak = await addPerson(inst, admin.personId, "client", { name: "Weak Walter" });
  const { room, inviteToken } = createRoom(inst, specialist.personId);
  acceptRoomInvitation(inst, inviteToken, near.personId);
  acceptRoomInvitation(inst, inviteToken, weak.personId);

  const open = async (personId: string, opts: { listenOnly: boolean; inNetworkOf?: number }): Promise<Page> => {
    const browser = await launchChromium({ inNetworkOf: opts.inNetworkOf, secureOrigin: origin });
    browsers.push(browser);
    const context = await browser.newContext({ viewport: DESKTOP, locale: "en-US", permissions: ["camera", "microphone"] });
    await context.addInitScript((listenOnly) => {
      // Every peer connection, so the test can read the received picture's size.
      const Real = RTCPeerConnection;
      const all: RTCPeerConnection[] = [];
      (window as unknown as { allPeerConnections: RTCPeerConnection[] }).allPeerConnections = all;
      window.RTCPeerConnection = function (this: unknown, ...args: ConstructorParameters<typeof RTCPeerConnection>) {
        const pc = new Real(...args);
        all.push(pc);
        return pc;
      } as unknown as typeof RTCPeerConnection;
      window.RTCPeerConnection.prototype = Real.prototype;
      // The clients only receive: one encoder (the specialist's) keeps two shared cores free for decoding.
      if (listenOnly) navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
    }, opts.listenOnly);
    const [name, value] = cookieFor(inst, personId).split("=") as [string, string];
    await context.addCookies([{ name, value, url: origin }]);
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error(`[page] ${e}`));
    await page.goto(`${origin}/rooms/${room.id}`, { timeout: 60_000 });
    return page;
  };

  const host = await open(specialist.personId, { listenOnly: false });
  await host.getByRole("button", { name: "Start the consultation" }).click();
  const nearPage = await open(near.personId, { listenOnly: true });
  const weakPage = await open(weak.personId, { listenOnly: true, inNetworkOf: far.pid });
  await nearPage.getByRole("button", { name: "Join your consultation" }).click();
  await host.locator("#people-badge", { hasText: "1" }).waitFor();
  await host.locator("#people-open").click();
  await host.locator("li", { hasText: "Near Nadia" }).getByRole("button", { name: "Let in" }).click();
  await weakPage.getByRole("button", { name: "Join your consultation" }).click();
  await host.locator("li", { hasText: "Weak Walter" }).getByRole("button", { name: "Let in" }).click({ timeout: 30_000 });

  const picture = (page: Page) =>
    page.evaluate(async () => {
      let width = 0;
      let decoded = 0;
      for (const pc of (window as unknown as { allPeerConnections: RTCPeerConnection[] }).allPeerConnections) {
        if (pc.connectionState === "closed") continue;
        (await pc.getStats()).forEach((s: { type: string; kind?: string; frameWidth?: number; framesDecoded?: number }) => {
          if (s.type === "inbound-rtp" && s.kind === "video" && (s.framesDecoded ?? 0) > 0) {
            width = Math.max(width, s.frameWidth ?? 0);
            decoded += s.framesDecoded ?? 0;
          }
        });
      }
      return { width, decoded };
    });
  const waitFor = async (page: Page, ok: (width: number) => boolean, ms: number): Promise<number> => {
    const started = Date.now();
    while (Date.now() - started < ms) {
      if (ok((await picture(page)).width)) return Date.now() - started;
      await Bun.sleep(200);
    }
    return -1;
  };
  const record = async (pages: Page[], ms: number): Promise<Sample[][]> => {
    const started = Date.now();
    const samples: Sample[][] = pages.map(() => []);
    while (Date.now() - started < ms) {
      const seen = await Promise.all(pages.map(picture));
      seen.forEach((s, i) => samples[i]!.push({ at: Date.now() - started, ...s }));
      await Bun.sleep(100);
    }
    return samples;
  };

  // The publisher's own estimate starts at 300 kbit/s and climbs: the top layer comes within about half a minute.
  const topWidth = 960;
  if ((await waitFor(nearPage, (w) => w >= topWidth, 60_000)) < 0) throw new Error(`the top layer never reached the unthrottled client: ${JSON.stringify(await picture(nearPage))}`);
  await waitFor(weakPage, (w) => w >= topWidth, 20_000);
  const fastWidthBefore = (await picture(nearPage)).width;

  throttle();
  const downAfterMs = await waitFor(weakPage, (w) => w > 0 && w <= topWidth / 4, 20_000);
  // Settled on the low layer: what both see over the next 8 s.
  await Bun.sleep(2_000);
  const [weakSamples, fastSamples] = (await record([weakPage, nearPage], 8_000)) as [Sample[], Sample[]];
  await weakPage.screenshot({ path: screenshotPath("simulcast-weak-link-desktop") });

  lift();
  const upAfterMs = await waitFor(weakPage, (w) => w >= topWidth, 20_000);
  // The near client's window becomes phone-sized: its tile is now about 370 pixels wide, and the middle layer does.
  await nearPage.setViewportSize(PHONE);
  const smallTileAfterMs = await waitFor(nearPage, (w) => w === topWidth / 2, 10_000);
  await nearPage.screenshot({ path: screenshotPath("simulcast-small-tile-phone") });
  const result: WeakLinkResult = { fastWidthBefore, downAfterMs, weak: weakSamples, fast: fastSamples, upAfterMs, smallTileAfterMs, topWidth, uncaught, switches: [...layerSwitches] };
  writeFileSync(out, JSON.stringify(result));
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  await served.stop();
  far.kill();
}
process.exit(0);
