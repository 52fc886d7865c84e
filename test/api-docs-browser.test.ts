// The API's pages for developers in real Chromium on a phone (375 px): the reference and the guides fit the screen
// (a long path or URL breaks, code and tables scroll inside their own box), and every box that scrolls sideways can
// be reached and scrolled from the keyboard.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { setUpOrganisation } from "./support/accounts.ts";
import { launchChromium } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let browser: Browser;

beforeAll(async () => {
  served = await serveInstallation();
  await setUpOrganisation(served.inst);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

for (const path of ["/api/v1/reference", "/api/v1/guide", "/api/v1/guide/webhooks", "/api/v1/guide/fhir"]) {
  test(`${path} fits a 375 px phone screen, and what scrolls sideways is keyboard-focusable`, async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    expect((await page.goto(`${served.origin}${path}`))?.status()).toBe(200);
    const found = await page.evaluate(() => {
      const wide = [...document.querySelectorAll<HTMLElement>("main *")].filter((el) => el.scrollWidth > el.clientWidth + 1 && /auto|scroll/.test(getComputedStyle(el).overflowX));
      return {
        pageWidth: document.documentElement.scrollWidth,
        scrollers: wide.length,
        unreachable: wide.filter((el) => el.tabIndex < 0).map((el) => `${el.tagName}: ${(el.textContent ?? "").slice(0, 60)}`),
      };
    });
    await page.close();
    expect(found.pageWidth).toBeLessThanOrEqual(375);
    expect(found.scrollers).toBeGreaterThan(0); // the wide examples are there, scrolling in their boxes
    expect(found.unreachable).toEqual([]);
  }, 30_000);
}
