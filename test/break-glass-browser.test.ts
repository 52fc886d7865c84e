// The client record and break-glass in real Chromium, at phone and desktop sizes: the record in the care, a colleague
// outside it going through the not-found page to emergency access, the admin's review and the highlighted audit
// entries; nothing errors under the strict CSP and nothing leaves the appliance. Screenshots go to test-output.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { appointmentRoom, book } from "../src/booking/appointments.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let browser: Browser;
let admin: TestPerson;
let spec: TestPerson;
let outsider: TestPerson;
let clientId: string;
const problems: string[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  served = await serveInstallation();
  const inst = served.inst;
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  outsider = await addPerson(inst, admin.personId, "specialist", { name: "Dr Oleg Duty" });
  clientId = (await addPerson(inst, admin.personId, "client", { name: "Maria Client" })).personId;
  setHours(inst, spec.personId, everyDay("UTC"));
  const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Therapy session" });
  const actor = { personId: spec.personId, role: "specialist" as const };
  const start = at(dayAhead(1), "10:00");
  const r = book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId, actor });
  if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
  book(inst, { serviceId: service.id, specialistId: spec.personId, start: at(dayAhead(8), "10:00"), clientId, actor });
  inst.clock.set(start);
  const room = appointmentRoom(inst, r.appointments[0]!.id, actor);
  if (!room.ok) throw new Error(`room: ${room.reason}`);
  postChatMessage(inst, room.roomId, clientId, "Thank you, see you next week");
  inst.clock.release();
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function pageAs(person: TestPerson, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "Europe/Moscow" });
  const [name, value] = cookieFor(served.inst, person.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, url: served.origin }]);
  const page = await context.newPage();
  // The not-found page and the refused reason answer 404 and 422 on purpose; Chromium logs those loads as errors.
  page.on("console", (m) => m.type() === "error" && !/status of 4(04|22)/.test(m.text()) && problems.push(`${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(served.origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  return page;
}

test("the record in the care; break-glass from the not-found page; the admin's review and the audit log's highlight", async () => {
  const { origin } = served;
  const mine = await pageAs(spec, PHONE);
  await mine.goto(`${origin}/clients`);
  await mine.getByRole("link", { name: "Maria Client" }).click();
  await mine.getByRole("heading", { name: "Client record: Maria Client" }).waitFor();
  await mine.getByText("Thank you, see you next week").waitFor();
  expect(await mine.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await mine.screenshot({ path: screenshotPath("client-record-phone"), fullPage: true });
  await mine.setViewportSize(DESKTOP);
  await mine.screenshot({ path: screenshotPath("client-record-desktop"), fullPage: true });

  const duty = await pageAs(outsider, PHONE);
  const notFound = await duty.goto(`${origin}/clients/${clientId}`);
  expect(notFound!.status()).toBe(404);
  await duty.getByRole("link", { name: "Emergency access (break-glass)" }).click();
  await duty.getByRole("heading", { name: "Emergency access to a client record" }).waitFor();
  await duty.getByRole("textbox", { name: "Why do you need this record now?" }).fill("too short");
  await duty.getByRole("button", { name: "Open the record" }).click();
  await duty.getByText("Write at least 20 characters").first().waitFor();
  await duty.screenshot({ path: screenshotPath("break-glass-refused-phone"), fullPage: true });
  await duty.getByRole("textbox", { name: "Why do you need this record now?" }).fill("Client in crisis on the phone; Dr Berg is unreachable");
  await duty.getByRole("button", { name: "Open the record" }).click();
  await duty.getByRole("heading", { name: "Client record: Maria Client" }).waitFor();
  await duty.getByText("through emergency access").waitFor();
  await duty.screenshot({ path: screenshotPath("client-record-break-glass-phone"), fullPage: true });

  const boss = await pageAs(admin);
  await boss.goto(`${origin}/admin/break-glass`);
  await boss.getByText("Client in crisis on the phone; Dr Berg is unreachable").waitFor();
  await boss.screenshot({ path: screenshotPath("break-glass-review-desktop"), fullPage: true });
  await boss.getByRole("button", { name: "Justified", exact: true }).click();
  await boss.getByText("Verdict recorded.").waitFor();
  await boss.goto(`${origin}/admin/audit?action=record.`);
  await boss.locator("tr.kb-break-glass", { hasText: "record.break-glass" }).first().waitFor();
  const flagged = await boss.locator("tr.kb-break-glass").count();
  expect(flagged).toBeGreaterThanOrEqual(2); // the grant and the read made under it
  await boss.screenshot({ path: screenshotPath("audit-break-glass-desktop"), fullPage: true });
  await boss.goto(`${origin}/admin/alerts`);
  await boss.getByText("Dr Oleg Duty used break-glass access to a record.").waitFor();
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 60_000);

test("the clients list, the record, the break-glass form, its review and the supervision page have no serious or critical accessibility violation (axe-core)", async () => {
  const axe = readFileSync(Bun.resolveSync("axe-core/axe.min.js", import.meta.dir), "utf8");
  const found: string[] = [];
  const pages: [TestPerson, string][] = [
    [spec, "/clients"],
    [spec, `/clients/${clientId}`],
    [outsider, `/clients/${clientId}/break-glass`],
    [admin, "/admin/break-glass"],
    [admin, "/admin/supervisions"],
  ];
  for (const [who, path] of pages) {
    for (const viewport of [PHONE, DESKTOP]) {
      const page = await pageAs(who, viewport);
      expect((await page.goto(`${served.origin}${path}`))!.status()).toBe(200);
      await page.emulateMedia({ reducedMotion: "reduce" });
      // Runtime.evaluate is not subject to the page's CSP: axe runs without loosening it.
      await page.evaluate(axe);
      const { passed, violations } = await page.evaluate(async () => {
        type Result = { id: string; impact: string | null; nodes: { target: string[] }[] };
        const w = window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Result[]; passes: Result[] }> } };
        const r = await w.axe.run(document, { resultTypes: ["violations"], rules: { "target-size": { enabled: true } } });
        return { passed: r.passes.length, violations: r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`) };
      });
      expect(passed).toBeGreaterThan(10);
      for (const v of violations) found.push(`${path} (${viewport.width} px): ${v}`);
      await page.context().close();
    }
  }
  expect(found).toEqual([]);
}, 60_000);
