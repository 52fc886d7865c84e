// The consent texts: per purpose, in English and Russian, in versions that never change; the box registration asks to
// tick for "processing", and the acceptance kept in the ledger (method "registration"), audited and shown on the
// person's account page.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { migrate, openDatabase } from "../src/db/client.ts";
import { embeddedMigrations } from "../src/db/migrations.macro.ts";
import { dateTimeFormat } from "../src/i18n/format.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation, tempDir } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";
/** An English reader on their language's clock, for the times the tests expect. */
const EN = { locale: "en" as const, hourCycle: null };

const ORIGIN = "https://consult.example.org";
const TEXT_1 = "We keep your name and email to run your consultations.\n\nWe never share them.";
const TEXT_2 = "We keep your name, email and phone to run your consultations.";
let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp.stop();
});
afterEach(() => inst?.close());

async function open(): Promise<TestClient> {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: smtp.url });
  admin = await setUpOrganisation(inst, { selfRegistration: true });
  return signedInClient(inst, admin);
}

const versions = (purpose = "processing") =>
  inst.db.$client.query("SELECT version, text_en AS en, text_ru AS ru FROM consent_documents WHERE purpose = ? ORDER BY version").all(purpose) as { version: number; en: string; ru: string }[];
const ledger = () =>
  inst.db.$client.query("SELECT person_id AS personId, purpose, version, action, method, recorded_by AS recordedBy, at FROM consent_ledger ORDER BY id").all() as {
    personId: string;
    purpose: string;
    version: number;
    action: string;
    method: string;
    recordedBy: string;
    at: number;
  }[];
const auditOf = (action: string) => inst.db.$client.query("SELECT target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { target: string | null; details: string }[];
const RU_1 = "Мы храним ваше имя и адрес, чтобы проводить консультации.";
const RU_2 = "Мы храним ваше имя, адрес и телефон.";

test("per purpose the admin writes the text in both languages; a changed text is a new version and earlier ones stay as they were", async () => {
  const a = await open();
  const page = await (await a.get("/admin/consent")).text();
  for (const heading of ["Processing of personal data", "Health data", "Sharing files in consultations", "Recording of consultations"]) expect(page).toContain(heading);
  expect(page).toContain("Consultations are not recorded: this consent stops nothing yet.");
  expect(page).toContain("No text yet.");

  const empty = await a.post("/admin/consent/processing", { required: "on", textEn: "  ", textRu: RU_1 });
  expect(empty.status).toBe(422);
  const emptyHtml = await empty.text();
  expect(emptyHtml).toContain('<small id="f-processing-textEn-error">Please fill this in.</small>');
  expect(emptyHtml).toContain(RU_1); // what was typed is kept
  expect(versions()).toEqual([]);
  // One language alone is not a text: a reader of the other would agree to words they cannot read.
  expect((await a.post("/admin/consent/health-data", { textEn: "Health", textRu: "" })).status).toBe(422);
  expect((await a.post("/admin/consent/nonsense", { textEn: "x", textRu: "y" })).status).toBe(404);

  expect(await (await a.post("/admin/consent/processing", { required: "on", textEn: TEXT_1.replaceAll("\n", "\r\n"), textRu: RU_1 })).text()).toContain("Saved as version 1.");
  expect(await (await a.post("/admin/consent/processing", { required: "on", textEn: TEXT_1, textRu: RU_1 })).text()).toContain("Saved."); // unchanged: no new version
  expect(versions()).toEqual([{ version: 1, en: TEXT_1, ru: RU_1 }]);
  const second = await (await a.post("/admin/consent/processing", { required: "on", textEn: TEXT_1, textRu: RU_2 })).text(); // one language changed is a change
  expect(second).toContain("Saved as version 2.");
  expect(second).toContain("Version 1");
  expect(versions()).toEqual([
    { version: 1, en: TEXT_1, ru: RU_1 },
    { version: 2, en: TEXT_1, ru: RU_2 },
  ]);
  expect(await (await a.post("/admin/consent/health-data", { textEn: "We keep notes about your health.", textRu: "Мы храним сведения о здоровье." })).text()).toContain("Saved as version 1.");
  expect(versions("health-data")).toHaveLength(1);
  expect(auditOf("consent.change").map((e) => JSON.parse(e.details))).toEqual([
    { purpose: "processing", version: 1, newVersion: true, required: true },
    { purpose: "processing", version: 1, newVersion: false, required: true },
    { purpose: "processing", version: 2, newVersion: true, required: true },
    { purpose: "health-data", version: 1, newVersion: true },
  ]);
  // The switch is the processing form's alone: saving another purpose leaves it as it was.
  expect(await (await a.get("/admin/consent")).text()).toMatch(/name="required" value="on" role="switch" checked/);
});

test("registration asks for the current text; the box is required; the accepted version is kept with its time and shown on the account page", async () => {
  const a = await open();
  await a.post("/admin/consent/processing", { required: "on", textEn: TEXT_1, textRu: RU_1 });
  await a.post("/admin/consent/processing", { required: "on", textEn: TEXT_2, textRu: RU_2 });
  const c = new TestClient(inst.app, ORIGIN);
  const form = await (await c.get("/register")).text();
  expect(form).toContain("We keep your name, email and phone");
  expect(form).not.toContain("We never share them");
  expect(form).toContain('<input type="hidden" name="consentVersion" value="2"/>');
  // A Russian reader is shown the Russian words of the same version.
  const ru = await (await new TestClient(inst.app, ORIGIN, { "accept-language": "ru" }).get("/register")).text();
  expect(ru).toContain(RU_2);
  expect(ru).not.toContain("We keep your name");

  const unticked = await c.post("/register", { name: "Maria", email: "maria@example.org", consentVersion: "2" });
  expect(unticked.status).toBe(422);
  const html = await unticked.text();
  expect(html).toContain('<small id="f-consent-error">To create an account, please tick this box.</small>');
  expect(html).toMatch(/<input id="f-consent"[^>]*aria-invalid="true"/);
  expect(html).toContain('value="maria@example.org"'); // what was typed is kept
  await jobWorker(inst).runDue();
  expect(smtp.messages().filter((m) => m.to.includes("maria@example.org"))).toEqual([]); // nothing sent

  expect((await c.post("/register", { name: "Maria", email: "maria@example.org", consent: "on", consentVersion: "2" })).status).toBe(200);
  await jobWorker(inst).runDue();
  const code = smtp.messages().find((m) => m.to.includes("maria@example.org"))!.subject.match(/(\d{6})/)![1]!;
  // A code without the accepted version (a forged or stale form) is not enough while consent is required.
  expect((await c.post("/register/code", { email: "maria@example.org", name: "Maria", code })).status).toBe(422);
  expect(ledger()).toEqual([]);

  const at = inst.clock.now();
  const proven = await c.post("/register/code", { email: "maria@example.org", name: "Maria", code, consentVersion: "2" });
  expect(proven.headers.get("location")).toBe("/welcome");
  const stored = ledger();
  expect(stored).toHaveLength(1);
  expect(stored[0]).toMatchObject({ purpose: "processing", version: 2, action: "given", method: "registration", recordedBy: stored[0]!.personId });
  expect(stored[0]!.at - at).toBeLessThan(5_000);
  expect(stored[0]!.at - at).toBeGreaterThanOrEqual(0);
  expect(auditOf("consent.give")).toEqual([{ target: stored[0]!.personId, details: JSON.stringify({ purpose: "processing", version: 2, method: "registration" }) }]);

  await c.post("/welcome", { password: "maria's own passphrase" });
  const account = await (await c.get("/account")).text();
  expect(account).toContain("You accepted version 2 of the consent text on");
  expect(account).toContain(dateTimeFormat(EN, "Europe/Moscow").format(stored[0]!.at)); // the organisation's zone
  expect(account).toContain('<a href="/account/consents">');
  expect(await (await a.get("/admin/consent")).text()).toContain("Version 2 · ");
  expect(await (await a.get("/admin/consent")).text()).toContain("(current) · 1 person consents now");
  // Who never accepted anything sees no such line.
  expect(await (await a.get("/account")).text()).not.toContain("consent text on");
});

test("without the requirement, registration shows no box even when a text exists", async () => {
  const a = await open();
  await a.post("/admin/consent/processing", { textEn: TEXT_1, textRu: RU_1 });
  expect(versions()).toHaveLength(1);
  const form = await (await new TestClient(inst.app, ORIGIN).get("/register")).text();
  expect(form).not.toContain('name="consent"');
  expect((await new TestClient(inst.app, ORIGIN).post("/register", { name: "Ivan", email: "ivan@example.org" })).status).toBe(200);
});

test("an installation from before the ledger keeps its consents: texts and acceptances move into the ledger as consents to processing", () => {
  // A database as Kabinet left it before migration 0015, with a consent text and an acceptance in the old tables.
  const path = join(tempDir(), "old.db");
  const db = openDatabase(path);
  const all = embeddedMigrations();
  const before = all.findIndex((m) => m.tag.startsWith("0015_"));
  db.$client.run("CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)");
  for (const m of all.slice(0, before)) {
    for (const statement of m.statements) db.$client.run(statement);
    db.$client.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)", [m.hash, m.when]);
  }
  db.$client.run("INSERT INTO people (id, role, email_index, email, name, created_at) VALUES ('p1', 'client', x'01', x'02', x'03', 1)");
  db.$client.run("INSERT INTO consent_texts (version, text, created_at) VALUES (1, 'I agree.', 1000), (2, 'I agree, v2.', 2000)");
  db.$client.run("INSERT INTO consents (person_id, version, accepted_at) VALUES ('p1', 1, 1500), ('p1', 2, 2500)");
  expect(migrate(db)).toBe(all.length - before);
  expect(db.$client.query("SELECT purpose, version, text_en AS en, text_ru AS ru, created_at AS at FROM consent_documents ORDER BY version").all()).toEqual([
    { purpose: "processing", version: 1, en: "I agree.", ru: "I agree.", at: 1000 },
    { purpose: "processing", version: 2, en: "I agree, v2.", ru: "I agree, v2.", at: 2000 },
  ]);
  expect(db.$client.query("SELECT person_id AS p, purpose, version, action, method, at FROM consent_ledger ORDER BY id").all()).toEqual([
    { p: "p1", purpose: "processing", version: 1, action: "given", method: "registration", at: 1500 },
    { p: "p1", purpose: "processing", version: 2, action: "given", method: "registration", at: 2500 },
  ]);
  expect(db.$client.query("SELECT name FROM sqlite_master WHERE name IN ('consents', 'consent_texts')").all()).toEqual([]);
  db.$client.close();
});
