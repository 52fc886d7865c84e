// A client opens their consultation room in real Chromium and the page's network check runs against the real server:
// shared by the plain-loopback test and the lossy run inside a network namespace (test/support/lossy-namespace.ts).
import type { NetworkCheckResult } from "../../web/network-check.ts";
import { acceptRoomInvitation, createRoom } from "../../src/rooms/rooms.ts";
import { addPerson, cookieFor, setUpOrganisation } from "./accounts.ts";
import { launchChromium, PHONE, screenshotPath } from "./browser.ts";
import { serveInstallation } from "./installation.ts";

export type Finished = Exclude<NetworkCheckResult, { state: "running" }>;

export interface CheckSeen {
  /** The first check, run by itself when the page opened. */
  first: Finished;
  /** What the page said about it. */
  verdictText: string;
  figuresText: string;
  /** The second check, run by "Check again". */
  again: Finished;
}

export async function checkInChromium(options: { screenshot: string; locale?: string }): Promise<CheckSeen> {
  const media = 20000 + Math.floor(Math.random() * 20000);
  const served = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 20}`, KABINET_PUBLIC_IP: "127.0.0.1" });
  const browser = await launchChromium();
  try {
    const { inst, origin } = served;
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist");
    const client = await addPerson(inst, admin.personId, "client", { name: "Мария Клиентова" });
    const { room, inviteToken } = createRoom(inst, specialist.personId);
    acceptRoomInvitation(inst, inviteToken, client.personId);
    const context = await browser.newContext({ viewport: PHONE, locale: options.locale ?? "en-US", permissions: ["camera", "microphone"] });
    const [name, value] = cookieFor(inst, client.personId).split("=") as [string, string];
    await context.addCookies([{ name, value, url: origin }]);
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error(`[page] ${e}`));
    await page.goto(`${origin}/rooms/${room.id}`, { timeout: 60_000 });
    const finished = async (): Promise<Finished> => {
      await page.waitForFunction(() => (window as unknown as { kabinetNetworkCheck?: { state: string } }).kabinetNetworkCheck?.state === "done", null, { timeout: 60_000 });
      return await page.evaluate(() => (window as unknown as { kabinetNetworkCheck: Finished }).kabinetNetworkCheck);
    };
    const first = await finished();
    const verdictText = (await page.locator("#network-check [role=status] #network-check-verdict").textContent()) ?? "";
    const figuresText = (await page.locator("#network-check-figures").textContent()) ?? "";
    await page.locator("#network-check").scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath(options.screenshot), fullPage: true });
    await page.getByRole("button", { name: /Check again|Проверить ещё раз/ }).click();
    await page.waitForFunction(() => (window as unknown as { kabinetNetworkCheck: { state: string } }).kabinetNetworkCheck.state === "running");
    const again = await finished();
    return { first, verdictText, figuresText, again };
  } finally {
    await browser.close();
    await served.stop();
  }
}
