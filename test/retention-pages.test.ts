// The retention and legal-hold pages in real Chromium: the policy page with a last run, a client's holds page and the
// erase page refusing with a hold's reason, in English and Russian, at phone and desktop sizes: no serious or critical
// axe violation, no tap target under 44 px on a phone, and screenshots to look at (test-output/screenshots).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { placeHold } from "../src/retention/holds.ts";
import { runRetention } from "../src/retention/retention.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let browser: Browser;
let admin: TestPerson;
let pages: { name: string; path: string }[];

beforeAll(async () => {
  served = await serveInstallation();
  const inst = served.inst;
  admin = await setUpOrganisation(inst);
  const client = await addPerson(inst, admin.personId, "client");
  placeHold(inst, client.personId, { recordType: "notes", reason: "Medical records act, section 5", until: null }, admin.personId);
  runRetention(inst, admin.personId);
  pages = [
    { name: "retention", path: "/admin/retention" },
    { name: "holds", path: `/admin/people/${client.personId}/holds` },
    { name: "erase-held", path: `/admin/people/${client.personId}/erase` },
  ];
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

test("the retention, holds and held erase pages pass axe and have large tap targets, phone and desktop, en and ru", async () => {
  const axe = await Bun.file(Bun.resolveSync("axe-core/axe.min.js", import.meta.dir)).text();
  const found: string[] = [];
  const url = new URL(served.origin);
  for (const locale of ["en", "ru"] as const) {
    const context = await browser.newContext({ viewport: PHONE, locale: locale === "ru" ? "ru-RU" : "en-US" });
    const [name, value] = cookieFor(served.inst, admin.personId).split("=") as [string, string];
    await context.addCookies([
      { name, value, domain: url.hostname, path: "/" },
      { name: "kabinet_lang", value: locale, domain: url.hostname, path: "/" },
    ]);
    const page = await context.newPage();
    for (const p of pages) {
      const response = await page.goto(`${served.origin}${p.path}`);
      expect({ page: p.name, status: response?.status() }).toEqual({ page: p.name, status: 200 });
      await page.evaluate(axe);
      for (const [size, viewport] of [["phone", PHONE], ["desktop", DESKTOP]] as const) {
        await page.setViewportSize(viewport);
        await page.emulateMedia({ reducedMotion: "reduce" });
        const { violations, passed } = await page.evaluate(async () => {
          type Result = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };
          const w = window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Result[]; passes: Result[] }> } };
          const r = await w.axe.run(document, { rules: { "target-size": { enabled: true } } });
          return { passed: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, at: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) })) };
        });
        expect(passed).toBeGreaterThan(10);
        for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) found.push(`${p.name} ${locale} ${size}: ${v.id} ${v.help} at ${v.at.join(", ")}`);
        if (size === "phone") {
          const small: string[] = await page.evaluate(() =>
            [...document.querySelectorAll('button, input:not([type="hidden"]), select, textarea, nav a')]
              .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.height < 44; })
              .map((el) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute("name") || "").trim().slice(0, 30)}"`),
          );
          for (const s of small) found.push(`${p.name} ${locale}: small tap target ${s}`);
        }
        await page.screenshot({ path: screenshotPath(`retention-${p.name}-${locale}-${size}`), fullPage: true });
      }
    }
    await context.close();
  }
  expect(found).toEqual([]);
}, 60_000);
