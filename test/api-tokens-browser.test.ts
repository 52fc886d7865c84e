// The API token page in real Chromium at phone and desktop sizes: a specialist ticks scopes, gets the secret once
// with a working copy button, and revokes a token after its confirmation, the list swapped in place by htmx; nothing
// errors under the strict CSP and nothing leaves the appliance. Screenshots go to test-output.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { en } from "../src/i18n/messages.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { callApi } from "./support/api.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

const a = en.apiTokens;
let served: ServedInstallation;
let browser: Browser;
let spec: TestPerson;
let admin: TestPerson;
const problems: string[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  served = await serveInstallation();
  admin = await setUpOrganisation(served.inst);
  spec = await addPerson(served.inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function pageAs(person: TestPerson, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "Europe/Moscow" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: served.origin });
  const [name, value] = cookieFor(served.inst, person.personId).split("=") as [string, string];
  await context.addCookies([{ name, value, url: served.origin }]);
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(served.origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  return page;
}

test("a specialist makes a token, copies it once, and revokes another in place", async () => {
  for (const [size, viewport] of [["phone", PHONE], ["desktop", DESKTOP]] as const) {
    const page = await pageAs(spec, viewport);
    await page.goto(`${served.origin}/account`);
    await page.click('a[href="/account/api-tokens"]');
    await page.fill("#f-name", `Clinic CRM (${size})`);
    await page.check("#f-scope-appointments-read");
    await page.check("#f-scope-people-read");
    await page.selectOption("#f-days", "180");
    await page.screenshot({ path: screenshotPath(`api-tokens-form-${size}`), fullPage: true });
    await page.click(`button:text("${a.create}")`);
    const secret = (await page.textContent('[data-testid="api-token-secret"]'))!.trim();
    expect(secret).toMatch(/^kbt_[A-Za-z0-9_-]{43}$/);
    await page.click(`button:text("${a.copy}")`);
    await page.waitForFunction(() => document.getElementById("token-copy-status")?.textContent !== "");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.screenshot({ path: screenshotPath(`api-tokens-created-${size}`), fullPage: true });
    expect((await callApi(served.inst, "/services", secret)).status).toBe(200);

    await page.click(`a:text("${a.done}")`);
    expect(await page.content()).not.toContain(secret);
    const item = page.locator(`li:has-text("Clinic CRM (${size})")`);
    await item.locator(`summary:text("${a.revoke}")`).click();
    await page.screenshot({ path: screenshotPath(`api-tokens-revoke-${size}`), fullPage: true });
    await page.evaluate(() => Object.assign(window, { samePage: true }));
    await item.locator(`button:text("${a.revokeYes}")`).click();
    await page.locator(`li:has-text("Clinic CRM (${size})") em:text-matches("Revoked")`).waitFor();
    expect(await page.evaluate(() => "samePage" in window)).toBe(true); // swapped in place by htmx, no page load
    expect((await callApi(served.inst, "/services", secret)).status).toBe(401);
    await page.context().close();
  }
  const adminPage = await pageAs(admin, PHONE);
  await adminPage.goto(`${served.origin}/admin`);
  await adminPage.click('a[href="/admin/api-tokens"]');
  expect(await adminPage.textContent("main")).toContain("Dr Sofia Berg");
  await adminPage.screenshot({ path: screenshotPath("api-tokens-admin-phone"), fullPage: true });
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
}, 60_000);
