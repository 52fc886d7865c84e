// A specialist writing a session note in real Chromium: the form, autosave of a draft while typing (htmx under the
// strict CSP), Save making a version, Finalise locking it; nothing leaves the appliance and nothing errors.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { book } from "../src/booking/appointments.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { DESKTOP, launchChromium, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let browser: Browser;
let spec: TestPerson;
let clientId: string;

beforeAll(async () => {
  served = await serveInstallation();
  const inst = served.inst;
  const admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  clientId = (await addPerson(inst, admin.personId, "client", { name: "Maria Client" })).personId;
  setHours(inst, spec.personId, everyDay("UTC"));
  const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Therapy session" });
  const r = book(inst, { serviceId: service.id, specialistId: spec.personId, start: at(dayAhead(2), "10:00"), clientId, actor: { personId: spec.personId, role: "specialist" } });
  if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

test("a note is written, autosaved as a draft while typing, saved as a version and finalised", async () => {
  const { inst, origin } = served;
  const problems: string[] = [];
  const foreign: string[] = [];
  const context = await browser.newContext({ viewport: DESKTOP, locale: "en-US", timezoneId: "Europe/Moscow" });
  const [name, value] = cookieFor(inst, spec.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, url: origin }]);
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("data:") && foreign.push(r.url()));

  await page.goto(`${origin}/clients/${clientId}/notes`);
  await page.getByRole("textbox", { name: "Note" }).fill("# Session 1\n- anxious about work");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/notes\/[0-9a-f-]+$/);
  const noteId = page.url().split("/").pop()!;
  expect(await page.locator("h2", { hasText: "Session 1" }).count()).toBe(1);

  await page.getByRole("button", { name: "Edit" }).click();
  await page.waitForURL(/\/edit$/);
  await page.getByRole("textbox", { name: "Note" }).press("Control+End");
  await page.getByRole("textbox", { name: "Note" }).pressSequentially("\n- sleeping better", { delay: 20 });
  await page.locator("#note-draft-status", { hasText: "Draft saved" }).waitFor({ timeout: 10_000 });
  const row = inst.db.$client.query("SELECT draft FROM client_notes WHERE id = ?").get(noteId) as { draft: Uint8Array | null };
  expect(inst.vault.openField(clientId, "client_notes", "draft", noteId, row.draft!)).toBe("# Session 1\n- anxious about work\n- sleeping better");
  const versions = () => (inst.db.$client.query("SELECT count(*) AS n FROM client_note_versions WHERE note_id = ?").get(noteId) as { n: number }).n;
  expect(versions()).toBe(1);
  await page.screenshot({ path: screenshotPath("records-note-autosaved") });

  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved as a new version.").waitFor();
  expect(versions()).toBe(2);
  await page.getByRole("button", { name: "Finalise" }).click();
  await page.getByText(/Finalised/).first().waitFor();
  expect(await page.getByRole("button", { name: "Edit" }).count()).toBe(0);
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
  await context.close();
}, 60_000);
