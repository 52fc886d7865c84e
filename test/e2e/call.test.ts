// A consultation in real Chromium through Kabinet's own SFU: a specialist opens a room, a client opens the link and
// waits, the specialist lets them in, and each browser decodes the other's fake camera and microphone. A third person
// who is not let in receives nothing. A reload mid-call recovers by itself.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { egressCounts } from "../../src/rooms/sfu/fast-egress.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "../support/accounts.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "../support/installation.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "../support/browser.ts";

let served: ServedInstallation;
let inst: TestInstallation;
const browsers: Browser[] = [];
let origin: string;
let specialist: TestPerson;
let client: TestPerson;
let stranger: TestPerson;

beforeAll(async () => {
  const media = 20000 + Math.floor(Math.random() * 20000);
  served = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 60}`, KABINET_PUBLIC_IP: "127.0.0.1" });
  ({ inst, origin } = served);
  const admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr. Sergey Ivanov" });
  client = await addPerson(inst, admin.personId, "client", { name: "Мария Клиентова" });
  stranger = await addPerson(inst, admin.personId, "client", { name: "Uninvited Ulrich" });
}, 60_000);

afterAll(async () => {
  const trouble = inst?.logs.filter((l) => /"level":"(warn|error)"|"msg":"(publish|media|subscription)/.test(l) && !l.includes("setupCode"));
  if (trouble?.length) console.error(trouble.join(""));
  for (const b of browsers) await b.close();
  await served?.stop();
});

async function pageAs(person: TestPerson, viewport = PHONE): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const context = await browser.newContext({ viewport, locale: "en-US", permissions: ["camera", "microphone"] });
  const [name, value] = cookieFor(inst, person.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, url: origin }]);
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${person.name}] ${e}`));
  return page;
}

type Stats = { framesDecoded: number; audioSamples: number; receivers: number };
const stats = (page: Page): Promise<Stats> => page.evaluate(() => (window as unknown as { kabinetCall: { stats(): Promise<Stats> } }).kabinetCall.stats());

async function until(page: Page, ok: (s: Stats) => boolean, ms: number): Promise<{ stats: Stats; ms: number }> {
  const started = Date.now();
  let last: Stats = { framesDecoded: 0, audioSamples: 0, receivers: 0 };
  while (Date.now() - started < ms) {
    last = await stats(page);
    if (ok(last)) return { stats: last, ms: Date.now() - started };
    await Bun.sleep(200);
  }
  throw new Error(`not reached within ${ms} ms: ${JSON.stringify(last)}`);
}

test("specialist and client see and hear each other through the SFU; the uninvited receive nothing; a reload recovers", async () => {
  const host = await pageAs(specialist, DESKTOP);
  await host.goto(`${origin}/rooms`);
  await host.getByRole("button", { name: "Open a consultation room" }).click();
  await host.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}$/);
  const roomUrl = host.url();
  const invite = (await host.getByTestId("room-invite").textContent())!.trim();
  expect(invite).toStartWith(`${origin}/rooms/invite/`);
  await host.getByRole("button", { name: "Start the consultation" }).click();

  const guest = await pageAs(client);
  await guest.goto(invite);
  await guest.waitForURL(host.url());
  await guest.screenshot({ path: screenshotPath("call-check-phone"), fullPage: true });
  await guest.getByRole("button", { name: "Join your consultation" }).click();
  await guest.getByText("You are in the waiting room").waitFor();
  await guest.screenshot({ path: screenshotPath("call-waiting-phone"), fullPage: true });

  // The specialist, already in the call, sees who is waiting, live, and lets them in.
  await host.locator("#people-badge", { hasText: "1" }).waitFor();
  await host.locator("#people-open").click();
  await host.locator("#waiting-list").getByText("Мария Клиентова").waitFor();
  await host.screenshot({ path: screenshotPath("call-host-waiting-desktop"), fullPage: true });

  // Meanwhile a third person with the link waits, and is never let in.
  const other = await pageAs(stranger);
  await other.goto(invite);
  await other.waitForURL(host.url());
  await other.getByRole("button", { name: "Join your consultation" }).click();
  await other.getByText("You are in the waiting room").waitFor();

  await host.locator("li", { hasText: "Мария Клиентова" }).getByRole("button", { name: "Let in" }).click();
  const guestGot = await until(guest, (s) => s.framesDecoded > 10 && s.audioSamples > 0, 20_000);
  const hostGot = await until(host, (s) => s.framesDecoded > 10 && s.audioSamples > 0, 20_000);
  console.log(`media flowing: client after ${guestGot.ms} ms, specialist after ${hostGot.ms} ms`);
  // What Chromium decodes left the SFU through its own egress (src/rooms/sfu/fast-egress.ts): packets go to werift's
  // sender only until DTLS is up, when nothing can be sent at all (werift drops them too), so every packet that
  // reached a browser took the SFU's own path.
  expect(egressCounts.fast).toBeGreaterThan(50);
  // Every connection, publishing and receiving, runs AES-GCM: the SFU is the DTLS server and picks it (Chrome as the
  // server would pick AES-CM with HMAC-SHA1, which costs the SFU more per packet).
  const ciphers = await guest.evaluate(() => (window as unknown as { kabinetCall: { ciphers(): Promise<string[]> } }).kabinetCall.ciphers());
  expect(ciphers.length).toBeGreaterThanOrEqual(2);
  expect(new Set(ciphers)).toEqual(new Set(["SRTP_AEAD_AES_128_GCM"]));
  await guest.screenshot({ path: screenshotPath("call-guest-phone"), fullPage: true });
  await host.screenshot({ path: screenshotPath("call-host-desktop"), fullPage: true });

  // Chat crosses both ways; markup is shown as text.
  const hello = "Здравствуйте, доктор! <b>not bold</b>";
  await guest.locator("#chat-open").click();
  await host.locator("#chat-open").click();
  await guest.getByPlaceholder("Message").fill(hello);
  await guest.getByRole("button", { name: "Send" }).click();
  await host.locator("#chat-log li", { hasText: hello }).waitFor();
  await host.getByPlaceholder("Message").fill("Hello Maria, I can hear you well.");
  await host.getByRole("button", { name: "Send" }).click();
  await guest.locator("#chat-log li", { hasText: "Hello Maria, I can hear you well." }).waitFor();
  expect(await host.locator("#chat-log b").count()).toBe(0);

  // A shared file downloads byte-identical on the other side; a file type off the allow-list is refused clearly.
  const { mkdtempSync, writeFileSync, readFileSync: readBytes } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/kabinet-upload-`);
  const pdf = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.from(crypto.getRandomValues(new Uint8Array(150_000)))]);
  writeFileSync(`${dir}/анализы.pdf`, pdf);
  writeFileSync(`${dir}/tool.exe`, Buffer.from("MZ\x90\x00binary"));
  await guest.locator("#files-open").click();
  await guest.locator("#file-input").setInputFiles(`${dir}/tool.exe`);
  await guest.getByRole("button", { name: "Share", exact: true }).click();
  await guest.locator("#file-error", { hasText: "This kind of file cannot be shared" }).waitFor();
  await guest.locator("#file-input").setInputFiles(`${dir}/анализы.pdf`);
  await guest.getByRole("button", { name: "Share", exact: true }).click();
  await host.locator("#files-open").click();
  const link = host.locator("#file-list a", { hasText: "анализы.pdf" });
  await link.waitFor();
  const [download] = await Promise.all([host.waitForEvent("download"), link.click()]);
  const got = readBytes((await download.path())!);
  expect(Buffer.compare(got, pdf)).toBe(0);
  expect(download.suggestedFilename()).toBe("анализы.pdf");

  const uninvited = await stats(other);
  expect(uninvited).toEqual({ framesDecoded: 0, audioSamples: 0, receivers: 0 });

  // The client's page reloads mid-call: it rejoins by itself, without waiting again, and media resumes within 5 s.
  const hostFramesBefore = (await stats(host)).framesDecoded;
  await guest.reload();
  const reloadedAt = Date.now();
  await until(guest, (s) => s.framesDecoded > 5, 10_000);
  await until(host, (s) => s.receivers === 1 && s.framesDecoded > 5, 10_000);
  const recovery = Date.now() - reloadedAt;
  console.log(`recovered after reload in ${recovery} ms (host had decoded ${hostFramesBefore} frames before)`);
  expect(recovery).toBeLessThan(5_000);
  // The chat is shown again after the reload.
  await guest.locator("#chat-open").click();
  await guest.locator("#chat-log li", { hasText: "Hello Maria, I can hear you well." }).waitFor();
  expect(await guest.locator("#chat-log li").count()).toBe(2);

  // The specialist ends the consultation for everyone.
  // Behind a confirmation; then every browser leaves for the page after the call.
  await host.getByRole("button", { name: "End for everyone" }).click();
  await host.locator("#end-confirm").click();
  // The client lands on the page after the call; the host of a room opened by hand on its record.
  await guest.getByRole("heading", { name: "Your consultation has ended" }).waitFor();
  expect(guest.url()).toBe(`${roomUrl}/after`);
  await host.getByRole("heading", { name: "Consultation record" }).waitFor();
  expect(host.url()).toBe(roomUrl);
  // Afterwards the participants keep the record; someone never let in gets nothing.
  await host.locator("li", { hasText: "Hello Maria, I can hear you well." }).waitFor();
  await host.locator("a", { hasText: "анализы.pdf" }).waitFor();
  await host.screenshot({ path: screenshotPath("consultation-record-desktop"), fullPage: true });
  const outsider = await other.goto(roomUrl);
  expect(outsider!.status()).toBe(404);

  // The chat is sealed at rest: neither message is in the database file or its WAL.
  const { readFileSync, existsSync } = await import("node:fs");
  const disk = Buffer.concat(["kabinet.db", "kabinet.db-wal"].map((f) => `${inst.dir}/data/${f}`).filter(existsSync).map((f) => readFileSync(f)));
  expect(disk.includes(Buffer.from("Здравствуйте, доктор"))).toBe(false);
  expect(disk.includes(Buffer.from("I can hear you well"))).toBe(false);
  expect(disk.includes(Buffer.from("анализы"))).toBe(false); // the file's name is sealed too
  const { readdirSync } = await import("node:fs");
  const stored = readdirSync(`${inst.dir}/data/files`).map((f) => readFileSync(`${inst.dir}/data/files/${f}`));
  expect(stored).toHaveLength(1);
  expect(stored[0]!.includes(pdf.subarray(0, 64))).toBe(false);

  const actions = (inst.db.$client.query("SELECT action FROM audit_log").all() as { action: string }[]).map((r) => r.action);
  expect(actions).toEqual(expect.arrayContaining(["room.create", "room.invite-accept", "room.join", "room.admit", "room.leave", "room.close"]));
}, 120_000);
