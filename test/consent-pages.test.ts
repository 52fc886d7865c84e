// The consent pages in real Chromium: the client's own consents (the page an anxious client reads on a phone), the
// staff view of one client's ledger, and the admin's texts; no serious or critical axe violation in either language,
// buttons tall enough to tap, and screenshots at phone and desktop size into test-output/screenshots.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { saveConsentText } from "../src/consent/consent.ts";
import { giveConsent, withdrawConsent } from "../src/consent/ledger.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let browser: Browser;
let admin: TestPerson;
let client: TestPerson;

beforeAll(async () => {
  served = await serveInstallation();
  const inst = served.inst;
  admin = await setUpOrganisation(inst);
  client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  const now = () => inst.clock.now();
  const texts = {
    processing: ["We keep your name, email and phone to arrange and hold your consultations.\n\nWe never sell or share them.", "Мы храним ваше имя, адрес и телефон, чтобы проводить консультации.\n\nМы никому их не передаём."],
    "health-data": ["What you tell us about your health is kept in your record, encrypted, for as long as the law requires.", "Сведения о здоровье хранятся в вашей карте в зашифрованном виде столько, сколько требует закон."],
    "file-sharing": ["Files you share during a consultation are kept with its record.", "Файлы, которыми вы обмениваетесь на консультации, хранятся вместе с её записью."],
  } as const;
  for (const [purpose, [textEn, textRu]] of Object.entries(texts)) saveConsentText(inst.db, inst.vault, purpose as keyof typeof texts, { textEn, textRu, required: purpose === "processing" ? true : undefined }, admin.personId, now());
  const who = { personId: client.personId, recordedBy: client.personId, method: "account" as const };
  inst.db.transaction((tx) => giveConsent(tx, inst.vault, { ...who, purpose: "processing", method: "registration" }, now()));
  inst.db.transaction((tx) => giveConsent(tx, inst.vault, { ...who, purpose: "file-sharing" }, now()));
  inst.db.transaction((tx) => withdrawConsent(tx, inst.vault, { ...who, purpose: "file-sharing" }, now()));
  inst.db.transaction((tx) => giveConsent(tx, inst.vault, { ...who, purpose: "health-data", method: "staff", recordedBy: admin.personId }, now()));
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const axe = (): string => readFileSync(Bun.resolveSync("axe-core/axe.min.js", import.meta.dir), "utf8");

for (const locale of ["en", "ru"] as const) {
  test(`the consent pages read well and pass axe on a phone and a desktop, ${locale}`, async () => {
    const pages = [
      { name: "my-consents", as: client, path: "/account/consents" },
      { name: "client-consents", as: admin, path: `/consent/clients/${client.personId}` },
      { name: "admin-consent", as: admin, path: "/admin/consent" },
    ];
    const problems: string[] = [];
    for (const p of pages) {
      const context = await browser.newContext({ viewport: PHONE, locale: locale === "ru" ? "ru-RU" : "en-US", timezoneId: "Europe/Moscow" });
      const host = new URL(served.origin).hostname;
      const [name, value] = cookieFor(served.inst, p.as.personId).split("=") as [string, string];
      await context.addCookies([
        { name: "kabinet_lang", value: locale, domain: host, path: "/" },
        { name, value, domain: host, path: "/" },
      ]);
      const page = await context.newPage();
      const response = await page.goto(`${served.origin}${p.path}`);
      expect({ page: p.name, status: response?.status() }).toEqual({ page: p.name, status: 200 });
      await page.evaluate(axe());
      for (const [size, viewport] of [["phone", PHONE], ["desktop", DESKTOP]] as const) {
        await page.setViewportSize(viewport);
        const violations = await page.evaluate(async () => {
          const w = window as unknown as { axe: { run: (d: Document, o: object) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[] }> } };
          const r = await w.axe.run(document, { resultTypes: ["violations"], rules: { "target-size": { enabled: true } } });
          return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
        });
        for (const v of violations) problems.push(`${p.name} ${size}: ${v}`);
        if (size === "phone") {
          const small: string[] = await page.evaluate(() =>
            [...document.querySelectorAll('main button, main [role="button"], main select')]
              .filter((el) => el.getBoundingClientRect().height > 0 && el.getBoundingClientRect().height < 44)
              .map((el) => `${el.tagName} "${(el.textContent ?? "").trim()}" is ${Math.round(el.getBoundingClientRect().height)} px tall`),
          );
          for (const s of small) problems.push(`${p.name}: ${s}`);
        }
        await page.screenshot({ path: screenshotPath(`consent-${p.name}-${locale}-${size}`), fullPage: true });
      }
      await context.close();
    }
    expect(problems).toEqual([]);
  }, 60_000);
}
