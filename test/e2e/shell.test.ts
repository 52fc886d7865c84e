// The shell in a real browser: the CSP lets our own script run and blocks nothing we serve, every request stays on
// this origin, switching language works as a person would do it, and screenshots at phone and desktop sizes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { setUpOrganisation } from "../support/accounts.ts";
import { type ServedInstallation, serveInstallation } from "../support/installation.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "../support/browser.ts";

let served: ServedInstallation;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  served = await serveInstallation();
  origin = served.origin;
  await setUpOrganisation(served.inst);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

test("the sign-in page loads with htmx running, no CSP violation, and no request to another origin", async () => {
  const page = await browser.newPage({ viewport: PHONE });
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  await page.goto(`${origin}/`);
  expect(page.url()).toBe(`${origin}/signin`);
  await page.waitForFunction(() => typeof (window as unknown as { htmx?: unknown }).htmx === "object");
  expect(await page.locator("h1").textContent()).toBe("Sign in");
  // Pico's stylesheet applied: the body uses the system font stack, not the browser's default serif.
  expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toContain("system-ui");
  await page.screenshot({ path: screenshotPath("signin-phone"), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: screenshotPath("signin-desktop") });
  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
  await page.close();
});

test("switching to Russian with the button keeps the person on the page and remembers the choice", async () => {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${origin}/signin`);
  await page.getByRole("button", { name: /Русский/ }).click();
  await page.waitForURL(`${origin}/signin`);
  expect(await page.locator("h1").textContent()).toBe("Вход");
  expect(await page.getAttribute("html", "lang")).toBe("ru");
  await page.screenshot({ path: screenshotPath("signin-phone-ru"), fullPage: true });
  await page.goto(`${origin}/nowhere`);
  expect(await page.locator("h1").textContent()).toBe("Страница не найдена");
  await page.getByRole("button", { name: /English/ }).click();
  await page.waitForURL(`${origin}/nowhere`);
  expect(await page.locator("h1").textContent()).toBe("Page not found");
  await context.close();
});

test("the touch target of the language switch is at least 44 px tall on a phone", async () => {
  const page = await browser.newPage({ viewport: PHONE });
  await page.goto(`${origin}/`);
  const box = await page.getByRole("button", { name: /Русский/ }).boundingBox();
  expect(box!.height).toBeGreaterThanOrEqual(44);
  await page.close();
});
