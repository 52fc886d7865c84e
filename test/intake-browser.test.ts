// Intake forms in real Chromium: the client fills the form by clicking and typing (no script of ours runs: a plain
// form), the specialist then reads the answers; the builder, the form and the answers pass axe-core without a serious
// or critical violation at phone and desktop sizes. Screenshots go to test-output/screenshots (intake-*).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { book } from "../src/booking/appointments.ts";
import { saveIntakeForm } from "../src/intake/intake.ts";
import { consentToHealthData } from "./support/consent.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let browser: Browser;
let admin: TestPerson;
let specialist: TestPerson;
let client: TestPerson;
let serviceId: string;
let appointmentId: string;
const both = (en: string, ru: string) => ({ en, ru });

beforeAll(async () => {
  served = await serveInstallation();
  const inst = served.inst;
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  consentToHealthData(inst, client.personId);
  setHours(inst, specialist.personId, everyDay("UTC"));
  serviceId = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 }).id;
  saveIntakeForm(inst, serviceId, {
    active: true,
    fields: [
      { id: "reason", kind: "long-text", label: both("What brings you here?", "Что вас привело?"), options: [], required: true },
      { id: "time", kind: "single-choice", label: both("Preferred time", "Удобное время"), options: [both("Morning", "Утро"), both("Evening", "Вечер")], required: true },
      { id: "dob", kind: "date", label: both("Date of birth", "Дата рождения"), options: [], required: false },
      { id: "symptoms", kind: "multiple-choice", label: both("Symptoms", "Симптомы"), options: [both("Sleep", "Сон"), both("Mood", "Настроение")], required: false },
      { id: "before", kind: "yes-no", label: both("Seen a specialist before?", "Обращались раньше?"), options: [], required: true },
      { id: "consent", kind: "consent", label: both("I agree to share this with my specialist", "Я согласен передать это специалисту"), options: [], required: true },
    ],
  }, admin.personId, inst.clock.now());
  const booked = book(inst, { serviceId, specialistId: specialist.personId, start: at(dayAhead(3), "10:00"), clientId: client.personId, actor: { personId: client.personId, role: "client" } });
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  appointmentId = booked.appointments[0]!.id;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function pageAs(person: TestPerson): Promise<Page> {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const [name, value] = cookieFor(served.inst, person.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, domain: new URL(served.origin).hostname, path: "/" }]);
  return context.newPage();
}

/** axe-core's serious and critical findings at phone and desktop size, with a screenshot of each. */
async function violations(page: Page, name: string): Promise<string[]> {
  await page.evaluate(readFileSync(Bun.resolveSync("axe-core/axe.min.js", import.meta.dir), "utf8"));
  const found: string[] = [];
  for (const [size, viewport] of [["phone", PHONE], ["desktop", DESKTOP]] as const) {
    await page.setViewportSize(viewport);
    await page.emulateMedia({ reducedMotion: "reduce" });
    const v: { id: string; impact: string | null }[] = await page.evaluate(async () => {
      const w = window as unknown as { axe: { run: (d: Document, o: object) => Promise<{ violations: { id: string; impact: string | null }[] }> } };
      return (await w.axe.run(document, { resultTypes: ["violations"] })).violations.map((x) => ({ id: x.id, impact: x.impact }));
    });
    found.push(...v.filter((x) => x.impact === "serious" || x.impact === "critical").map((x) => `${name} ${size}: ${x.id}`));
    await page.screenshot({ path: screenshotPath(`intake-${name}-${size}`), fullPage: true });
  }
  return found;
}

test("a client fills the form in Chromium, the specialist reads the answers; the pages pass axe at phone and desktop sizes", async () => {
  const found: string[] = [];
  const builder = await pageAs(admin);
  expect((await builder.goto(`${served.origin}/admin/services/${serviceId}/intake`))?.status()).toBe(200);
  found.push(...(await violations(builder, "builder")));

  const page = await pageAs(client);
  await page.goto(`${served.origin}/appointments/${appointmentId}`);
  await page.getByRole("button", { name: "Answer the questions" }).click();
  await page.waitForURL(`**/appointments/${appointmentId}/intake`);
  // Sent without the consent box: the form comes back with the message by it, and what was typed kept.
  await page.getByLabel("What brings you here?").fill("Trouble sleeping since spring");
  await page.getByRole("radio", { name: "Evening" }).check();
  await page.getByRole("group", { name: "Seen a specialist before?" }).getByRole("radio", { name: "No" }).check();
  await page.getByRole("button", { name: "Send my answers" }).click();
  await page.getByText("Please tick this box to go on.").waitFor();
  expect(await page.getByLabel("What brings you here?").inputValue()).toBe("Trouble sleeping since spring");
  found.push(...(await violations(page, "form-errors")));
  await page.getByLabel("Date of birth (optional)").fill("1990-04-25");
  await page.getByRole("checkbox", { name: "Sleep" }).check();
  await page.getByRole("checkbox", { name: "I agree to share this with my specialist" }).check();
  await page.getByRole("button", { name: "Send my answers" }).click();
  await page.getByText("Thank you: your answers were sent.").waitFor();
  found.push(...(await violations(page, "form")));

  const spec = await pageAs(specialist);
  await spec.goto(`${served.origin}/appointments/${appointmentId}`);
  const answers = spec.getByTestId("intake-answers");
  expect(await answers.innerText()).toContain("Trouble sleeping since spring");
  expect(await answers.innerText()).toContain("Evening");
  expect(await answers.innerText()).toContain("April 25, 1990");
  found.push(...(await violations(spec, "answers")));
  expect(found).toEqual([]);
}, 120_000);
