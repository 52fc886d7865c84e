// Accessibility of the main pages, checked by axe-core inside real Chromium: every page a client, specialist or admin
// uses most (and a visitor booking without an account), at phone and desktop sizes (and in dark mode), in English and Russian, has no serious or critical violation (contrast,
// names, labels, landmarks, target sizes). A failure prints each violation's rule, where, and how to fix it.
//
// axe-core is a dev dependency (node_modules/axe-core); AXE_CORE_PATH may point at another copy of axe.min.js.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { book } from "../src/booking/appointments.ts";
import { acceptRoomInvitation, createRoom } from "../src/rooms/rooms.ts";
import { createNote, saveNoteVersion } from "../src/records/notes.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "./support/browser.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

function axeSource(): string {
  let path = process.env.AXE_CORE_PATH;
  try {
    path ??= Bun.resolveSync("axe-core/axe.min.js", import.meta.dir);
  } catch {
    // reported below
  }
  if (!path || !existsSync(path)) throw new Error("axe-core not found: npm install -D axe-core (or set AXE_CORE_PATH to axe.min.js)");
  return readFileSync(path, "utf8");
}

let served: ServedInstallation;
let browser: Browser;
let axe: string;
const people: Record<"admin" | "spec" | "client", TestPerson> = {} as never;
let pages: { name: string; as: keyof typeof people | null; path: string }[] = [];

beforeAll(async () => {
  axe = axeSource();
  // Mail "configured" (to a port nobody listens on) so that self-registration is offered.
  served = await serveInstallation({ KABINET_SMTP_URL: "smtp://127.0.0.1:9" });
  const inst = served.inst;
  people.admin = await setUpOrganisation(inst, { selfRegistration: true });
  people.spec = await addPerson(inst, people.admin.personId, "specialist", { name: "Dr Sofia Berg" });
  people.client = await addPerson(inst, people.admin.personId, "client", { name: "Maria Client" });
  setHours(inst, people.spec.personId, everyDay("Europe/Moscow", "09:00", "18:00"));
  const service = makeService(inst, people.admin.personId, [people.spec.personId], { nameEn: "Initial consultation", cancelHours: 0 });
  const day = dayAhead(3, "Europe/Moscow");
  const start = at(day, "14:30", "Europe/Moscow");
  const booked = book(inst, { serviceId: service.id, specialistId: people.spec.personId, start, clientId: people.client.personId, actor: { personId: people.client.personId, role: "client" } });
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  const { room, inviteToken } = createRoom(inst, people.spec.personId);
  acceptRoomInvitation(inst, inviteToken, people.client.personId);
  const specActor = { personId: people.spec.personId, role: "specialist" as const };
  const note = createNote(inst, specActor, { clientId: people.client.personId, text: "# First session\n\nWorries about work.\n\n## Plan\n- walk daily\n1. diary" }, inst.clock.now());
  if (!note.ok) throw new Error(`note failed: ${note.reason}`);
  saveNoteVersion(inst, specActor, people.client.personId, note.note.id, "# First session\n\nWorries about work, sleeps better.", 1, inst.clock.now());
  const notes = `/clients/${people.client.personId}/notes`;
  const tz = "tz=Europe%2FMoscow";
  pages = [
    { name: "sign-in", as: null, path: "/signin" },
    { name: "register", as: null, path: "/register" },
    { name: "visitor-book", as: null, path: "/book" },
    { name: "visitor-slots", as: null, path: `/book/${service.id}?specialist=any&day=${day}&${tz}` },
    { name: "visitor-confirm", as: null, path: `/book/${service.id}/confirm?start=${at(day, "16:00", "Europe/Moscow")}&specialist=${people.spec.personId}&${tz}` },
    { name: "home", as: "client", path: "/" },
    { name: "book-services", as: "client", path: "/book" },
    { name: "book-slots", as: "client", path: `/book/${service.id}?specialist=${people.spec.personId}&day=${day}&${tz}` },
    { name: "book-confirm", as: "client", path: `/book/${service.id}/confirm?start=${at(day, "16:00", "Europe/Moscow")}&specialist=${people.spec.personId}&${tz}` },
    { name: "appointment", as: "client", path: `/appointments/${booked.appointments[0]!.id}` },
    { name: "account", as: "client", path: "/account" },
    { name: "two-factor", as: "client", path: "/account/two-factor" },
    { name: "room-check", as: "client", path: `/rooms/${room.id}` },
    { name: "schedule", as: "spec", path: `/schedule?date=${day}&${tz}` },
    { name: "rooms", as: "spec", path: "/rooms" },
    { name: "hours", as: "spec", path: "/hours" },
    { name: "client-notes", as: "spec", path: notes },
    { name: "client-note", as: "spec", path: `${notes}/${note.note.id}` },
    { name: "client-note-edit", as: "spec", path: `${notes}/${note.note.id}/edit` },
    { name: "service-form", as: "admin", path: "/admin/services/new" },
    { name: "settings", as: "admin", path: "/admin/settings" },
    { name: "alerts", as: "admin", path: "/admin/alerts" },
    { name: "backups", as: "admin", path: "/admin/backups" },
    { name: "people", as: "admin", path: "/admin/people" },
    { name: "media", as: "admin", path: "/admin/media" },
    { name: "administration", as: "admin", path: "/admin" },
    { name: "client-record", as: "spec", path: `/clients/${people.client.personId}` },
    { name: "privacy", as: "client", path: "/account/privacy" },
    { name: "privacy-requests", as: "admin", path: "/admin/privacy/requests" },
    { name: "accountability-processing", as: "admin", path: "/admin/accountability/processing" },
    { name: "api-tokens", as: "spec", path: "/account/api-tokens" },
    { name: "admin-api-tokens", as: "admin", path: "/admin/api-tokens" },
    { name: "api-reference", as: null, path: "/api/v1/reference" },
    { name: "api-guide", as: null, path: "/api/v1/guide" },
    { name: "imports", as: "admin", path: "/admin/imports" },
    { name: "exports", as: "admin", path: "/admin/exports" },
    { name: "webhooks", as: "admin", path: "/admin/webhooks" },
  ];
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

for (const locale of ["en", "ru"] as const) {
  test(`the main pages have no serious or critical accessibility violation and no small tap target, phone and desktop, ${locale}`, async () => {
    const found: string[] = [];
    for (const p of pages) {
      const context = await browser.newContext({ viewport: PHONE, locale: locale === "ru" ? "ru-RU" : "en-US", timezoneId: "Europe/Moscow" });
      const url = new URL(served.origin);
      const cookies: { name: string; value: string; domain: string; path: string }[] = [{ name: "kabinet_lang", value: locale, domain: url.hostname, path: "/" }];
      if (p.as) {
        const [name, value] = cookieFor(served.inst, people[p.as].personId).split("=") as [string, string];
        cookies.push({ name, value, domain: url.hostname, path: "/" });
      }
      await context.addCookies(cookies);
      const page = await context.newPage();
      const response = await page.goto(`${served.origin}${p.path}`);
      expect({ page: p.name, status: response?.status() }).toEqual({ page: p.name, status: 200 });
      // Runtime.evaluate is not subject to the page's CSP: axe runs without loosening it.
      await page.evaluate(axe);
      // Light at both sizes, and dark (prefers-color-scheme) once: its colours need the same contrast.
      for (const [size, viewport, colorScheme] of [["phone", PHONE, "light"], ["desktop", DESKTOP, "light"], ["desktop-dark", DESKTOP, "dark"]] as const) {
        await page.setViewportSize(viewport);
        // Without motion Pico's colour transitions do not run, so axe never reads a colour half-way (a busy machine
        // once caught the light theme's link colour on the dark background).
        await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
        if (colorScheme === "dark") await page.waitForTimeout(300);
        const started = performance.now();
        const { violations, passed } = await page.evaluate(async () => {
          type Result = { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] };
          const w = window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Result[]; passes: Result[] }> } };
          // Target size (WCAG 2.2: at least 24 px, or spaced apart) is checked explicitly, whatever axe's defaults.
          const r = await w.axe.run(document, { resultTypes: ["violations"], rules: { "target-size": { enabled: true } } });
          return { passed: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => `${n.target.join(" ")}: ${(n.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 200)}`) })) };
        });
        if (size === "phone") {
          // Tap targets on a phone: buttons, fields and the header's links 44 px tall (Pico's own size), check boxes
          // and radio buttons at least 24 px. (Links inside a sentence are exempt, as WCAG 2.2 exempts them.)
          const small: string[] = await page.evaluate(() => {
            const out: string[] = [];
            const visible = (el: Element) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
            const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} "${(el.textContent || el.getAttribute("name") || "").trim().slice(0, 30)}"`;
            const big = 'button, [role="button"], input:not([type="hidden"], [type="checkbox"], [type="radio"], [type="file"]), select, nav a';
            for (const el of document.querySelectorAll(big)) if (visible(el) && el.getBoundingClientRect().height < 44) out.push(`${name(el)} is ${Math.round(el.getBoundingClientRect().height)} px tall`);
            for (const el of document.querySelectorAll('input[type="checkbox"], input[type="radio"]')) {
              const r = el.getBoundingClientRect();
              if (visible(el) && (r.height < 24 || r.width < 24)) out.push(`${name(el)} is ${Math.round(r.width)}×${Math.round(r.height)} px`);
            }
            return out;
          });
          for (const s of small) found.push(`${p.name} (${locale}, ${size}): small tap target: ${s}`);
        }
        if (process.env.A11Y_DEBUG) console.log(p.name, size, Math.round(performance.now() - started), "ms", passed, "rules passed", violations.map((v: Violation) => `${v.id}:${v.impact}`).join(" "));
        // axe really looked: a page with landmarks, a title and a language passes dozens of its rules.
        expect(passed).toBeGreaterThan(10);
        for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
          found.push(`${p.name} (${locale}, ${size}): ${v.id} [${v.impact}] ${v.help}\n    at ${v.targets.slice(0, 5).join("\n    at ")}`);
        }
        if (locale === "en" || p.name === "book-slots") await page.screenshot({ path: screenshotPath(`a11y-${p.name}-${locale}-${size}`), fullPage: true });
      }
      await context.close();
    }
    if (found.length) console.log(`accessibility violations:\n${found.join("\n")}`);
    expect(found).toEqual([]);
  }, 420_000);
}

test("the keyboard's first stop is 'Skip to content', visible with a focus ring; it leads to the page's content", async () => {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${served.origin}/nowhere`); // a page without an autofocused field
  const skip = page.getByRole("link", { name: "Skip to content" });
  expect(await skip.boundingBox()).toSatisfy((box) => box === null || box.y + box.height <= 0); // out of sight until reached
  await page.keyboard.press("Tab");
  expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
  const box = (await skip.boundingBox())!;
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.height).toBeGreaterThanOrEqual(44);
  const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle + " " + getComputedStyle(el).outlineWidth);
  expect(outline).toBe("solid 3px");
  await page.screenshot({ path: screenshotPath("a11y-skip-link-phone") });
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  // The next stop is inside the content (its link to the start page), not the header's controls.
  expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);
  await context.close();
});
