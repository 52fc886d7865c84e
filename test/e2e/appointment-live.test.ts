// An appointment's page as people keep it open, in real Chromium: Join appears by itself when the window opens (the
// installation's clock is moved while the page is open), and a call that the specialist ends leaves the appointment
// held, the specialist on the appointment's page with its record, and the client on the calm page after the call.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { book, getAppointment } from "../../src/booking/appointments.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "../support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "../support/booking.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "../support/browser.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "../support/installation.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let origin: string;
let spec: TestPerson;
let client: TestPerson;
let serviceId: string;
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
  serviceId = makeService(inst, admin.personId, [spec.personId], { nameEn: "Therapy session" }).id;
}, 60_000);
afterAll(async () => {
  for (const b of browsers) await b.close();
  await served?.stop();
});

let days = 0;
/** An appointment of the test's own (a day no other test uses), with the installation's clock `before` ms ahead of its start. */
function booked(before: number): { id: string; start: number } {
  inst.clock.release();
  const start = at(dayAhead(3 + ++days), "10:00");
  const r = book(inst, { serviceId, specialistId: spec.personId, start, clientId: client.personId, actor: { personId: spec.personId, role: "specialist" } });
  if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
  inst.clock.set(start - before);
  return { id: r.appointments[0]!.id, start };
}

async function pageAs(person: TestPerson, viewport = PHONE): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "Europe/Moscow", permissions: ["camera", "microphone"] });
  const [name, value] = cookieFor(inst, person.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, url: origin }]);
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`[${person.name}] ${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`[${person.name}] ${e}`));
  page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  return page;
}

test("Join appears on an open appointment page by itself when the window opens", async () => {
  const { id, start } = booked(30 * 60_000);
  const page = await pageAs(client);
  await page.goto(`${origin}/appointments/${id}`);
  await page.getByText("15 minutes before the start").waitFor();
  expect(await page.getByRole("button", { name: "Join" }).count()).toBe(0);
  // A mark on this very document: if it is still there when Join shows, the page was not reloaded.
  await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));

  inst.clock.set(start - 14 * 60_000);
  await page.getByRole("button", { name: "Join" }).waitFor({ timeout: 25_000 });
  expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  expect(await page.getByText("15 minutes before the start").count()).toBe(0);
  await page.screenshot({ path: screenshotPath("appointment-join-appeared-phone"), fullPage: true });
  await page.context().close(); // its polling would outlive the test
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 60_000);

/**
 * Where the call page leaves a person once the call has ended. The call client navigates to /rooms/<id>/after on
 * "ended"; a call client that only says "ended" in place is followed to that address here, so that the pages after the
 * call are checked either way (see the report: the navigation itself belongs to web/call.ts).
 */
/** The call page itself leaves for /rooms/<id>/after when the call ends, which sends each side on to its page. */
async function afterTheCall(page: Page, landing: RegExp): Promise<void> {
  await page.waitForURL(landing, { timeout: 15_000 });
}

test("the specialist admits from the appointment's page, ends the call; both land on the right page and the appointment is held", async () => {
  const { id } = booked(5 * 60_000);
  const guest = await pageAs(client);
  await guest.goto(`${origin}/appointments/${id}`);
  await guest.getByRole("button", { name: "Join" }).click();
  await guest.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}$/);
  const roomId = new URL(guest.url()).pathname.split("/").pop()!;
  await guest.getByRole("heading", { name: "You are invited to a consultation with Dr Sofia Berg" }).waitFor();
  await guest.getByRole("button", { name: "Join your consultation" }).click();
  await guest.getByText("You are in the waiting room").waitFor();

  // The specialist's page of the appointment says the client waits and lets them in from there.
  const host = await pageAs(spec, DESKTOP);
  await host.goto(`${origin}/appointments/${id}`);
  await host.getByText("Your client is waiting in the consultation room.").waitFor();
  await host.screenshot({ path: screenshotPath("appointment-client-waiting-desktop"), fullPage: true });
  await host.getByRole("button", { name: "Admit" }).click();
  await host.waitForURL(`${origin}/rooms/${roomId}#join`);
  await guest.waitForFunction(() => document.body.dataset.callState === "admitted", null, { timeout: 20_000 });

  // On #join the call page joins by itself.
  await host.locator("#end").waitFor({ state: "visible", timeout: 20_000 });
  // Something said in the call, to find in the record afterwards.
  await guest.locator("#chat-open").click();
  await guest.getByPlaceholder("Message").fill("Thank you, doctor");
  await guest.getByRole("button", { name: "Send" }).click();
  await host.locator("#chat-open").click();
  await host.locator("#chat-log li", { hasText: "Thank you, doctor" }).waitFor();
  await host.locator("#end").click();
  await host.locator("dialog#end-dialog #end-confirm").click();

  for (let i = 0; i < 50 && getAppointment(inst.db, id)!.status !== "completed"; i++) await Bun.sleep(100);
  expect(getAppointment(inst.db, id)!.status).toBe("completed");

  await afterTheCall(host, new RegExp(`/appointments/${id}$`));
  await host.getByText("Held").waitFor();
  await host.getByRole("heading", { name: "Consultation record" }).waitFor();
  await host.getByText("Thank you, doctor").waitFor();
  expect(await host.getByRole("button", { name: "Join" }).count()).toBe(0);
  await host.screenshot({ path: screenshotPath("appointment-held-desktop"), fullPage: true });

  await afterTheCall(guest, new RegExp(`/rooms/${roomId}/after$`));
  await guest.getByRole("heading", { name: "Your consultation has ended" }).waitFor();
  await guest.getByText("Thank you, doctor").waitFor();
  await guest.getByRole("button", { name: "Book again" }).waitFor();
  expect(await guest.getByRole("button", { name: "Book again" }).getAttribute("href")).toBe(`/book/${serviceId}?specialist=${spec.personId}`);
  expect(await guest.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await guest.screenshot({ path: screenshotPath("after-call-client-phone"), fullPage: true });

  // Join again from the appointment leads to the same record, not to a new room.
  await guest.goto(`${origin}/appointments/${id}`);
  expect(await guest.getByRole("button", { name: "Join" }).count()).toBe(0);
  await guest.getByRole("heading", { name: "Consultation record" }).waitFor();
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 120_000);

test("a specialist opens a room with a label; the list and the room show it; the invited client sees who invites them", async () => {
  inst.clock.release();
  const host = await pageAs(spec, DESKTOP);
  await host.goto(`${origin}/rooms`);
  await host.getByLabel("Client's name or purpose (optional)").fill("Maria — second opinion");
  await host.getByRole("button", { name: "Open a consultation room" }).click();
  await host.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}$/);
  await host.getByRole("heading", { name: "Maria — second opinion" }).waitFor();
  const invite = (await host.getByTestId("room-invite").textContent())!.trim();
  await host.goto(`${origin}/rooms`);
  await host.getByRole("link", { name: "Maria — second opinion" }).waitFor();
  await host.screenshot({ path: screenshotPath("rooms-labelled-desktop"), fullPage: true });

  const guest = await pageAs(client);
  await guest.goto(invite);
  await guest.getByRole("heading", { name: "You are invited to a consultation with Dr Sofia Berg" }).waitFor();
  expect(await guest.getByText("second opinion").count()).toBe(0);
  expect(await guest.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await guest.screenshot({ path: screenshotPath("room-invited-phone"), fullPage: true });
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 60_000);
