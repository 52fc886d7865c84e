// A consultation between two real Chromium browsers through Kabinet, with a TURN relay handed to them: shared by the
// relay-only calls of test/e2e/turn.test.ts and the call inside a namespace that blocks UDP (udp-blocked-namespace.ts).
import { expect } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./accounts.ts";
import { launchChromium, PHONE, screenshotPath } from "./browser.ts";
import type { Coturn } from "./coturn.ts";
import { type ServedInstallation, serveInstallation } from "./installation.ts";

// An init script keeps every RTCPeerConnection of the page for getStats and, with `relayOnly`, makes it relay-only
// (iceTransportPolicy "relay", what a network that blocks UDP to the media server leaves).
const keepPeerConnections = (relayOnly: boolean): string => `(() => {
  const Original = window.RTCPeerConnection;
  window.kabinetPeerConnections = [];
  window.RTCPeerConnection = class extends Original {
    constructor(config) {
      super(${relayOnly ? '{ ...(config || {}), iceTransportPolicy: "relay" }' : "config"});
      window.kabinetPeerConnections.push(this);
    }
  };
})();`;

export type Relayed = { framesDecoded: number; relayProtocols: string[]; candidateTypes: string[] };

async function relayedStats(page: Page): Promise<Relayed> {
  const call = await page.evaluate(() => (window as unknown as { kabinetCall: { stats(): Promise<{ framesDecoded: number }> } }).kabinetCall.stats());
  const pairs = await page.evaluate(async () => {
    const out: { type: string; relayProtocol: string }[] = [];
    for (const pc of (window as unknown as { kabinetPeerConnections: RTCPeerConnection[] }).kabinetPeerConnections) {
      if (pc.connectionState !== "connected") continue;
      const report = await pc.getStats();
      for (const s of report.values()) {
        if (s.type !== "transport" || !s.selectedCandidatePairId) continue;
        const local = report.get(report.get(s.selectedCandidatePairId)?.localCandidateId);
        out.push({ type: local?.candidateType ?? "?", relayProtocol: local?.relayProtocol ?? "" });
      }
    }
    return out;
  });
  return { framesDecoded: call.framesDecoded, candidateTypes: pairs.map((p) => p.type), relayProtocols: pairs.map((p) => p.relayProtocol) };
}

/**
 * A specialist and a client in two Chromium browsers, with Kabinet handing out `urls` (credentials from the relay's
 * secret): waits until each decodes the other's video and reports the selected candidate pairs.
 */
export async function relayedCall(turn: Coturn, options: { urls: string[]; relayOnly: boolean; screenshot: string }): Promise<{ host: Relayed; guest: Relayed; ms: number }> {
  const media = 20000 + Math.floor(Math.random() * 20000);
  const served: ServedInstallation = await serveInstallation({
    KABINET_MEDIA_PORTS: `${media}-${media + 40}`,
    KABINET_PUBLIC_IP: "127.0.0.1",
    KABINET_ICE_SERVERS: options.urls.join(","),
    KABINET_TURN_SECRET: turn.secret,
  });
  const browsers: Browser[] = [];
  try {
    const { inst, origin } = served;
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr. Sergey Ivanov" });
    const client = await addPerson(inst, admin.personId, "client", { name: "Мария Клиентова" });
    const pageAs = async (person: TestPerson): Promise<Page> => {
      const browser = await launchChromium();
      browsers.push(browser);
      const context = await browser.newContext({ viewport: PHONE, locale: "en-US", permissions: ["camera", "microphone"] });
      await context.addInitScript(keepPeerConnections(options.relayOnly));
      const [cookie, value] = cookieFor(inst, person.personId).split("=") as [string, string];
      await context.addCookies([{ name: cookie, value, url: origin }]);
      const page = await context.newPage();
      page.on("pageerror", (e) => console.error(`[${person.name}] ${e}`));
      return page;
    };
    const host = await pageAs(specialist);
    await host.goto(`${origin}/rooms`);
    await host.getByRole("button", { name: "Open a consultation room" }).click();
    await host.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}$/);
    const invite = (await host.getByTestId("room-invite").textContent())!.trim();
    await host.getByRole("button", { name: "Start the consultation" }).click();
    const guest = await pageAs(client);
    await guest.goto(invite);
    await guest.waitForURL(host.url());
    await guest.getByRole("button", { name: "Join your consultation" }).click();
    await guest.getByText("You are in the waiting room").waitFor();
    await host.locator("#people-badge", { hasText: "1" }).waitFor();
    await host.locator("#people-open").click();
    const admitted = Date.now();
    await host.locator("li", { hasText: "Мария Клиентова" }).getByRole("button", { name: "Let in" }).click();
    const flowing = async (page: Page): Promise<Relayed> => {
      let last: Relayed = { framesDecoded: 0, candidateTypes: [], relayProtocols: [] };
      while (Date.now() - admitted < 45_000) {
        last = await relayedStats(page);
        // Publisher and receiver connections both up, and frames decoded.
        if (last.framesDecoded > 10 && last.candidateTypes.length >= 2) return last;
        await Bun.sleep(250);
      }
      throw new Error(`no relayed video within 45 s: ${JSON.stringify(last)}; coturn: ${turn.log().slice(-1500)}`);
    };
    const guestSaw = await flowing(guest);
    const hostSaw = await flowing(host);
    const ms = Date.now() - admitted;
    await guest.screenshot({ path: screenshotPath(options.screenshot), fullPage: true });
    // Still decoding a second later: the relay carries the stream, not a first burst.
    await Bun.sleep(1000);
    expect((await relayedStats(guest)).framesDecoded).toBeGreaterThan(guestSaw.framesDecoded);
    return { host: hostSaw, guest: guestSaw, ms };
  } finally {
    for (const b of browsers) await b.close();
    await served.stop();
  }
}
