// Booking as people do it, in real Chromium: a client on a phone in New York books a consultation with a Moscow
// specialist (the page finds the phone's zone by itself), and the specialist sees it in their day view.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { currentTOTP } from "../../src/accounts/totp.ts";
import { book, listAppointments } from "../../src/booking/appointments.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "../support/accounts.ts";
import { everyDay, makeService, setHours } from "../support/booking.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "../support/browser.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "../support/installation.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let browser: Browser;
let origin: string;
let admin: TestPerson;
let spec: TestPerson;
let client: TestPerson;
const problems: string[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  served = await serveInstallation();
  ({ inst, origin } = served);
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  setHours(inst, spec.personId, everyDay("Europe/Moscow", "09:00", "18:00", 12 * 60));
  makeService(inst, admin.personId, [spec.personId], { nameEn: "Initial consultation" });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});
afterEach(() => inst.clock.release());

/**
 * The installation's clock at noon in Moscow on the first Monday of next January: 4 AM that Monday in New York (in
 * winter, 8 hours behind), so both zones have the whole week ahead in the day strip (which runs from today to Sunday)
 * whatever the day and season the tests run on. Returns that Monday.
 */
function pinToWinterMonday(): Temporal.PlainDate {
  const january = Temporal.PlainDate.from({ year: Temporal.Now.plainDateISO("UTC").year + 1, month: 1, day: 1 });
  const monday = january.add({ days: (8 - january.dayOfWeek) % 7 });
  inst.clock.set(monday.toZonedDateTime({ timeZone: "Europe/Moscow", plainTime: "12:00" }).epochMilliseconds);
  return monday;
}

/** Chooses that date in the day strip (by its date, not its place: the strip starts today) and waits for its times. */
async function chooseDay(page: Page, date: Temporal.PlainDate): Promise<Locator> {
  await page.locator(`.kb-days a[href*="day=${date}"]`).click();
  await page.waitForURL(new RegExp(`day=${date}`));
  return page.locator(".kb-slots a");
}

async function open(viewport: { width: number; height: number }, timezoneId: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  return { context, page };
}

// A TOTP code is accepted once: a second sign-in within the same 30 seconds uses the next step's code (the window
// allows one step ahead), which is still later than the one used before.
const signIns = new Map<string, number>();

async function signIn(page: Page, p: TestPerson): Promise<void> {
  await page.goto(`${origin}/signin`);
  await page.getByLabel("Email", { exact: true }).fill(p.email);
  await page.getByLabel("Password", { exact: true }).fill(p.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (p.totpSecret) {
    await page.waitForURL(`${origin}/signin/two-factor`);
    const earlier = signIns.get(p.personId) ?? 0;
    signIns.set(p.personId, earlier + 1);
    await page.getByLabel("Code", { exact: true }).fill(currentTOTP(p.totpSecret, Date.now() + earlier * 30_000));
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await page.waitForURL(`${origin}/`);
}

test("a client books on a phone in their own zone; the specialist sees it in the day view", async () => {
  const monday = pinToWinterMonday();
  const { context: phone, page } = await open(PHONE, "America/New_York");
  await signIn(page, client);
  await page.getByRole("link", { name: "Book", exact: true }).click();
  await page.getByRole("link", { name: "Initial consultation" }).click();
  // The page asks the browser for its zone and shows times in it, naming the zone.
  await page.waitForURL(/tz=America%2FNew_York/);
  await page.getByText("times in New York").first().waitFor();
  // Two days ahead (beyond the 12-hour notice), the first free time.
  const firstSlot = (await chooseDay(page, monday.add({ days: 2 }))).first();
  await firstSlot.waitFor();
  const shownTime = (await firstSlot.textContent())!.trim();
  expect(shownTime).toBe("1:00 AM"); // 09:00 in Moscow is 1 AM in New York in winter
  await page.screenshot({ path: screenshotPath("booking-slots-phone"), fullPage: true });
  await firstSlot.click();
  await page.getByRole("heading", { name: "Confirm your booking" }).waitFor();
  await page.screenshot({ path: screenshotPath("booking-confirm-phone"), fullPage: true });
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await page.getByText("Booked.").waitFor();
  await page.getByText("New York").first().waitFor();
  await page.screenshot({ path: screenshotPath("booking-done-phone"), fullPage: true });
  const [booked] = listAppointments(inst.db, { clientId: client.personId, from: 0, to: Number.MAX_SAFE_INTEGER });
  expect(booked).toBeDefined();
  const startInMoscow = Temporal.Instant.fromEpochMilliseconds(booked!.start).toZonedDateTimeISO("Europe/Moscow");
  expect(startInMoscow.hour).toBe(9);
  // The phone's layout does not scroll sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await phone.close();

  const { context: desk, page: sp } = await open(DESKTOP, "Europe/Moscow");
  await signIn(sp, spec);
  await sp.goto(`${origin}/schedule?date=${startInMoscow.toPlainDate()}`);
  const entry = sp.locator(".kb-schedule li").filter({ hasText: "Maria Client" });
  await entry.waitFor();
  expect(await entry.textContent()).toContain("9:00 AM");
  expect(await entry.textContent()).toContain("Initial consultation");
  await sp.screenshot({ path: screenshotPath("schedule-day-desktop"), fullPage: true });
  // The list refreshes itself (htmx polling) without errors; wait for one refresh.
  await sp.waitForResponse((r) => r.url().includes("/schedule?") && r.request().headers()["hx-request"] === "true", { timeout: 30_000 });
  await entry.waitFor();
  await desk.close();

  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 120_000);

test("joining from the booking: the client waits, the specialist's day shows it and lets them in", async () => {
  // An appointment starting within the join window: hours that begin at the next 5-minute mark.
  const start = Math.ceil((Date.now() + 5 * 60_000) / 300_000) * 300_000;
  const startUtc = Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO("UTC");
  setHours(inst, spec.personId, { ...everyDay("UTC"), exceptions: { [startUtc.toPlainDate().toString()]: [{ start: startUtc.toPlainTime().toString().slice(0, 5), end: "24:00" }] } });
  const service = makeService(inst, spec.personId, [spec.personId], { nameEn: "Follow-up", durationMinutes: 5, bufferAfterMinutes: 0, cancelHours: 0 });
  const booked = book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId: client.personId, actor: { personId: spec.personId, role: "specialist" } });
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  const id = booked.appointments[0]!.id;

  const { context: phone, page } = await open(PHONE, "Europe/Moscow");
  await signIn(page, client);
  await page.goto(`${origin}/appointments/${id}`);
  await page.getByRole("button", { name: "Join" }).click();
  await page.waitForURL(/\/rooms\/[A-Za-z0-9_-]{16}$/);
  await page.getByRole("button", { name: "Join your consultation" }).click();
  await page.getByText("You are in the waiting room").waitFor();

  const { context: desk, page: sp } = await open(DESKTOP, "UTC");
  await signIn(sp, spec);
  await sp.goto(`${origin}/schedule?date=${startUtc.toPlainDate()}`);
  const entry = sp.locator(".kb-schedule li").filter({ hasText: "Follow-up" });
  await entry.locator("mark", { hasText: "waiting" }).waitFor();
  await sp.screenshot({ path: screenshotPath("schedule-waiting-desktop"), fullPage: true });
  await entry.getByRole("button", { name: "Join" }).click();
  await sp.waitForURL(page.url());
  await sp.getByRole("button", { name: "Start the consultation" }).click();
  await sp.locator("li", { hasText: "Maria Client" }).getByRole("button", { name: "Let in" }).click();
  await page.waitForFunction(() => document.body.dataset.callState === "admitted", null, { timeout: 20_000 });
  await phone.close();
  await desk.close();
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 120_000);

test("staff begin with the client, found as they type (a few suggestions arrive by POST), and book for them", async () => {
  const staff = await addPerson(inst, admin.personId, "staff");
  const { context, page } = await open(DESKTOP, "Europe/Moscow");
  const searches: { method: string; url: string }[] = [];
  page.on("request", (r) => r.url().includes("/clients/search") && searches.push({ method: r.method(), url: r.url() }));
  const monday = pinToWinterMonday();
  await signIn(page, staff);
  await page.getByRole("button", { name: "Book for a client" }).click();
  await page.getByRole("heading", { name: "Who is this booking for?" }).waitFor();
  expect(await page.locator("#client-list option").count()).toBe(0);
  // Typing goes on while an earlier answer is slow (a busy server): here the answer to "m" (too short to search: no
  // suggestions) is held back until "mari" has been asked for. The newer search goes out at once, and the list ends
  // with the matches of what was typed last, not with the late answer, nor without the newer one.
  const search = `${origin}/book/clients/search`;
  const field = page.getByLabel("Client", { exact: true });
  let releaseFirst = (): void => {};
  const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
  let asked = 0;
  await page.route(search, async (route) => {
    if (asked++ === 0) await firstHeld;
    await route.continue().catch(() => {}); // the page cancelled it meanwhile: nothing to send
  });
  const first = page.waitForRequest(search);
  await field.pressSequentially("m");
  await first;
  const latest = page.waitForRequest((r) => r.url() === search && new URLSearchParams(r.postData() ?? "").get("clientEmail") === "mari");
  await field.pressSequentially("ari");
  await latest;
  releaseFirst();
  await page.locator(`#client-list option[value="${client.email}"]`).waitFor({ state: "attached" });
  await page.unroute(search);
  expect(await page.locator("#client-list option").allTextContents()).toEqual(["Maria Client"]);
  expect(searches.length).toBeGreaterThan(0);
  expect(searches.every((s) => s.method === "POST" && !s.url.includes("mari"))).toBe(true);
  await page.getByLabel("Client", { exact: true }).fill(client.email);
  await page.screenshot({ path: screenshotPath("booking-choose-client-desktop"), fullPage: true });
  await page.getByRole("button", { name: "Next: choose the service" }).click();
  await page.getByText("Booking for Maria Client").waitFor();
  expect(page.url()).not.toContain(client.email);
  await page.getByRole("link", { name: "Initial consultation" }).click();
  await (await chooseDay(page, monday.add({ days: 3 }))).first().click();
  await page.getByRole("heading", { name: "Confirm your booking" }).waitFor();
  await page.getByText("Booking for Maria Client").waitFor();
  await page.screenshot({ path: screenshotPath("booking-for-client-confirm-desktop"), fullPage: true });
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await page.getByText("Booked.").waitFor();
  await context.close();
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 120_000);

test("a visitor picks a time without an account, is asked to sign in, and books that time after signing in", async () => {
  const lev = await addPerson(inst, admin.personId, "specialist", { name: "Dr Lev Orlov" });
  // Next week's Wednesday is a day off: the strip shows it, disabled, saying so.
  const nextMonday = pinToWinterMonday().add({ days: 7 });
  const wednesday = nextMonday.add({ days: 2 });
  setHours(inst, lev.personId, { ...everyDay("Europe/Moscow", "09:00", "18:00"), exceptions: { [wednesday.toString()]: [] } });
  makeService(inst, admin.personId, [lev.personId], { nameEn: "Second opinion" });
  const visitor = await addPerson(inst, admin.personId, "client", { name: "Vera Visitor" });

  const { context, page } = await open(PHONE, "America/New_York");
  await page.goto(`${origin}/book`);
  await page.getByRole("link", { name: "Second opinion" }).click();
  await page.waitForURL(/tz=America%2FNew_York/);
  await page.getByRole("link", { name: /Later days/ }).click();
  await page.waitForURL(new RegExp(`day=${nextMonday}`));
  const dayOff = page.locator(".kb-days button[disabled]", { hasText: "No free times" });
  expect(await dayOff.count()).toBe(1);
  // Skipped by the keyboard: tabbing along the strip goes from Tuesday straight to Thursday.
  await page.locator(".kb-days a").nth(1).focus();
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.textContent)).toContain(nextMonday.add({ days: 3 }).day.toString());
  // ...and read out as unavailable, with its reason.
  expect(await dayOff.getAttribute("disabled")).not.toBeNull();
  await page.screenshot({ path: screenshotPath("booking-public-slots-phone"), fullPage: true });
  const firstSlot = page.locator(".kb-slots a").first();
  const shown = (await firstSlot.textContent())!.trim();
  expect(shown).toBe("1:00 AM"); // 09:00 in Moscow, on an English reader's 12-hour clock
  await firstSlot.click();
  await page.getByRole("heading", { name: "Confirm your booking" }).waitFor();
  await page.getByRole("heading", { name: "To book this time, sign in" }).waitFor();
  expect(await page.getByRole("button", { name: "Confirm booking" }).count()).toBe(0);
  await page.screenshot({ path: screenshotPath("booking-public-confirm-phone"), fullPage: true });
  const confirmUrl = page.url();

  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/signin/);
  await page.getByLabel("Email", { exact: true }).fill(visitor.email);
  await page.getByLabel("Password", { exact: true }).fill(visitor.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Back on the same confirmation, now with the button that books it.
  await page.waitForURL(confirmUrl);
  await page.screenshot({ path: screenshotPath("booking-public-back-phone"), fullPage: true });
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await page.getByText("Booked.").waitFor();
  const [booked] = listAppointments(inst.db, { clientId: visitor.personId, from: 0, to: Number.MAX_SAFE_INTEGER });
  const startInMoscow = Temporal.Instant.fromEpochMilliseconds(booked!.start).toZonedDateTimeISO("Europe/Moscow");
  expect(startInMoscow.toPlainDate().toString()).toBe(nextMonday.toString());
  expect(startInMoscow.hour).toBe(9);
  expect(booked!.specialistId).toBe(lev.personId);
  await context.close();
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 120_000);
