// On a phone (375 px), the row's outcome of an import preview and a delivery's status in a webhook's log are on
// screen without a sideways scroll: their tables become one card per row (.kb-stack), outcome and status first.
// Real Chromium against the served app; screenshots in test-output/screenshots.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { storeUpload } from "../src/imports/imports.ts";
import { listEndpoints } from "../src/webhooks/endpoints.ts";
import { jobWorker } from "../src/worker.ts";
import { cookieFor, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { launchChromium, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

const PHONE_375 = { width: 375, height: 812 };
let served: ServedInstallation;
let browser: Browser;
let admin: TestPerson;

beforeAll(async () => {
  served = await serveInstallation();
  admin = await setUpOrganisation(served.inst);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function phonePage(path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: PHONE_375, locale: "en-US" });
  const [name, value] = cookieFor(served.inst, admin.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, domain: new URL(served.origin).hostname, path: "/" }]);
  const page = await context.newPage();
  expect((await page.goto(`${served.origin}${path}`))?.status()).toBe(200);
  return page;
}

/** Where the cell is, against the viewport: fully on screen without scrolling sideways. */
async function onScreen(page: Page, selector: string): Promise<{ text: string; left: number; right: number; width: number }> {
  return page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { text: (el.textContent ?? "").trim().slice(0, 40), left: Math.round(r.left), right: Math.round(r.right), width: window.innerWidth };
  });
}

test("an import preview shows each row's outcome on a phone, without a sideways scroll", async () => {
  const file = [
    "ФИО;Электронная почта;Телефон;Язык;Часовой пояс",
    "Константинопольская Александра Владиславовна;konstantinopolskaya.aleksandra@example.org;+7 (900) 1;русский;Europe/Moscow",
    "Ivan Petrov;ivan.petrov@example.org;+7 900 123-45-67;en;Europe/Moscow",
  ].join("\r\n");
  const up = storeUpload(served.inst, "clients", new TextEncoder().encode(file), { personId: admin.personId, role: "admin" });
  if (!up.ok) throw new Error(up.problem);
  const page = await phonePage(`/admin/imports/${up.id}`);
  const outcome = await onScreen(page, 'tr[data-row="2"] td[data-label="Outcome"]');
  await page.screenshot({ path: screenshotPath("import-preview-phone"), fullPage: true });
  expect(outcome.text).toContain("Phone: not a phone number");
  expect(outcome.left).toBeGreaterThanOrEqual(0);
  expect(outcome.right).toBeLessThanOrEqual(outcome.width);
  // Nothing on the page needs a sideways scroll.
  expect(await page.evaluate(() => [...document.querySelectorAll(".kb-table")].every((t) => t.scrollWidth <= t.clientWidth + 1))).toBe(true);
  await page.context().close();
}, 60_000);

test("a webhook's delivery log shows each delivery's status on a phone, without a sideways scroll", async () => {
  const c = signedInClient(served.inst, admin);
  // Nobody listens there: the test event fails and waits for its retry, with the reason beside its status.
  expect((await c.post("/admin/webhooks", { url: "http://127.0.0.2:9/hooks/kabinet/very/long/path/for/a/crm", internalHost: "127.0.0.2", "event.client.created": "on" })).status).toBe(201);
  const [endpoint] = listEndpoints(served.inst);
  expect((await c.post(`/admin/webhooks/${endpoint!.id}/test`)).status).toBe(200);
  await jobWorker(served.inst).runDue();
  const page = await phonePage(`/admin/webhooks/${endpoint!.id}`);
  const status = await onScreen(page, "tr[data-delivery] td[data-label='Outcome']");
  await page.screenshot({ path: screenshotPath("webhook-log-phone"), fullPage: true });
  expect(status.text).toMatch(/^(Waiting or retrying|Failed)/);
  expect(status.left).toBeGreaterThanOrEqual(0);
  expect(status.right).toBeLessThanOrEqual(status.width);
  expect(await page.evaluate(() => [...document.querySelectorAll(".kb-table")].every((t) => t.scrollWidth <= t.clientWidth + 1))).toBe(true);
  await page.context().close();
}, 60_000);
