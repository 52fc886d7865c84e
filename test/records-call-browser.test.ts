// A specialist writes a session note during a real call, in real Chromium through Kabinet's own SFU: the call page's
// Notes button opens the note editor in a new tab, the note is saved, autosaved as a draft while typing and saved
// again, and all the while the call keeps flowing (both browsers keep decoding each other's fake camera).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { book } from "../src/booking/appointments.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let origin: string;
let spec: TestPerson;
let client: TestPerson;
let appointmentId: string;
const browsers: Browser[] = [];
const problems: string[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  const media = 20000 + Math.floor(Math.random() * 20000);
  served = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 60}`, KABINET_PUBLIC_IP: "127.0.0.1" });
  ({ inst, origin } = served);
  const admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  setHours(inst, spec.personId, everyDay("UTC"));
  const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Therapy session" });
  const start = at(dayAhead(3), "10:00");
  const r = book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId: client.personId, actor: { personId: spec.personId, role: "specialist" } });
  if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
  appointmentId = r.appointments[0]!.id;
  inst.clock.set(start - 5 * 60_000);
}, 60_000);
afterAll(async () => {
  inst?.clock.release();
  for (const b of browsers) await b.close();
  await served?.stop();
});

async function pageAs(person: TestPerson, viewport = PHONE): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "Europe/Moscow", permissions: ["camera", "microphone"] });
  const [name, value] = cookieFor(inst, person.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, url: origin }]);
  context.on("page", (page) => {
    page.on("console", (m) => m.type() === "error" && problems.push(`[${person.name}] ${page.url()}: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`[${person.name}] ${e}`));
    page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  });
  return await context.newPage();
}

type Stats = { framesDecoded: number; audioSamples: number; receivers: number };
const stats = (page: Page): Promise<Stats> => page.evaluate(() => (window as unknown as { kabinetCall: { stats(): Promise<Stats> } }).kabinetCall.stats());

async function until(page: Page, ok: (s: Stats) => boolean, ms: number): Promise<Stats> {
  const started = Date.now();
  let last: Stats = { framesDecoded: 0, audioSamples: 0, receivers: 0 };
  while (Date.now() - started < ms) {
    last = await stats(page);
    if (ok(last)) return last;
    await Bun.sleep(200);
  }
  throw new Error(`not reached within ${ms} ms: ${JSON.stringify(last)}`);
}

test("during a call the specialist opens Notes in a new tab, writes, autosaves and saves a note, and the call keeps flowing", async () => {
  const guest = await pageAs(client);
  await guest.goto(`${origin}/appointments/${appointmentId}`);
  await guest.getByRole("button", { name: "Join" }).click();
  await guest.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}$/);
  await guest.getByRole("button", { name: "Join your consultation" }).click();
  await guest.getByText("You are in the waiting room").waitFor();

  const host = await pageAs(spec, DESKTOP);
  await host.goto(`${origin}/appointments/${appointmentId}`);
  await host.getByRole("button", { name: "Admit" }).click();
  await host.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}#join$/);
  await host.locator("#end").waitFor({ state: "visible", timeout: 20_000 });
  const guestAtStart = await until(guest, (s) => s.framesDecoded > 10, 20_000);
  const hostAtStart = await until(host, (s) => s.framesDecoded > 10, 20_000);

  // The guest's call page has no Notes button; the host's opens the editor in a new tab.
  expect(await guest.locator("#notes-open").count()).toBe(0);
  const notesLink = host.getByRole("link", { name: "Notes about this client" });
  expect(await notesLink.getAttribute("target")).toBe("_blank");
  await host.screenshot({ path: screenshotPath("records-call-notes-button-desktop") });
  const [tab] = await Promise.all([host.context().waitForEvent("page"), notesLink.click()]);
  await tab.waitForLoadState();
  expect(tab.url()).toBe(`${origin}/clients/${client.personId}/notes?appointment=${appointmentId}#new-note`);
  await tab.getByRole("textbox", { name: "Note" }).fill("# Session during the call\n- calmer than last week");
  await tab.getByRole("button", { name: "Save" }).click();
  await tab.waitForURL(/\/notes\/[0-9a-f-]+$/);
  const noteId = tab.url().split("/").pop()!;
  expect((inst.db.$client.query("SELECT appointment_id FROM client_notes WHERE id = ?").get(noteId) as { appointment_id: string }).appointment_id).toBe(appointmentId);

  await tab.getByRole("button", { name: "Edit" }).click();
  await tab.waitForURL(/\/edit$/);
  await tab.getByRole("textbox", { name: "Note" }).press("Control+End");
  await tab.getByRole("textbox", { name: "Note" }).pressSequentially("\n- agreed on a sleep diary", { delay: 20 });
  await tab.locator("#note-draft-status", { hasText: "Draft saved" }).waitFor({ timeout: 10_000 });
  const row = inst.db.$client.query("SELECT draft FROM client_notes WHERE id = ?").get(noteId) as { draft: Uint8Array | null };
  expect(inst.vault.openField(client.personId, "client_notes", "draft", noteId, row.draft!)).toBe("# Session during the call\n- calmer than last week\n- agreed on a sleep diary");
  await tab.screenshot({ path: screenshotPath("records-call-note-autosaved-desktop") });
  await tab.getByRole("button", { name: "Save" }).click();
  await tab.getByText("Saved as a new version.").waitFor();
  expect((inst.db.$client.query("SELECT count(*) AS n FROM client_note_versions WHERE note_id = ?").get(noteId) as { n: number }).n).toBe(2);

  // The call went on all the while: both browsers are still decoding new frames, and the host is still in the call.
  await until(guest, (s) => s.framesDecoded > guestAtStart.framesDecoded + 30, 15_000);
  await until(host, (s) => s.framesDecoded > hostAtStart.framesDecoded + 30, 15_000);
  expect(await host.locator("#end").isVisible()).toBe(true);
  expect(await guest.evaluate(() => document.body.dataset.callState)).toBe("admitted");
  // Opened again from the call, Notes leads straight to this open note's editor.
  await host.reload();
  expect(await host.getByRole("link", { name: "Notes about this client" }).getAttribute("href")).toBe(`/clients/${client.personId}/notes/${noteId}/edit`);
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 120_000);
