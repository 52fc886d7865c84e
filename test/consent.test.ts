// Consent to the processing of personal data: the admin's text in versions that never change, the box registration
// asks to tick, and the acceptance (person, version, time) kept, audited and shown on the person's account page.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { dateTimeFormat } from "../src/i18n/format.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
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

const versions = () => inst.db.$client.query("SELECT version, text FROM consent_texts ORDER BY version").all() as { version: number; text: string }[];
const consents = () => inst.db.$client.query("SELECT person_id AS personId, version, accepted_at AS acceptedAt FROM consents").all() as { personId: string; version: number; acceptedAt: number }[];
const auditOf = (action: string) => inst.db.$client.query("SELECT target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { target: string | null; details: string }[];

test("the admin requires consent and sets its text; a changed text is a new version and earlier ones stay as they were", async () => {
  const a = await open();
  const page = await a.get("/admin/consent");
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("No text yet.");

  const empty = await a.post("/admin/consent", { required: "on", text: "  " });
  expect(empty.status).toBe(422);
  const emptyHtml = await empty.text();
  expect(emptyHtml).toContain('<small id="f-text-error">Please fill this in.</small>');
  expect(emptyHtml).toContain('aria-invalid="true"');
  expect(versions()).toEqual([]);

  expect(await (await a.post("/admin/consent", { required: "on", text: TEXT_1.replaceAll("\n", "\r\n") })).text()).toContain("Saved as version 1.");
  expect(await (await a.post("/admin/consent", { required: "on", text: TEXT_1 })).text()).toContain("Saved."); // unchanged: no new version
  expect(versions()).toEqual([{ version: 1, text: TEXT_1 }]);
  const second = await (await a.post("/admin/consent", { required: "on", text: TEXT_2 })).text();
  expect(second).toContain("Saved as version 2.");
  expect(second).toContain("Version 1");
  expect(versions()).toEqual([
    { version: 1, text: TEXT_1 },
    { version: 2, text: TEXT_2 },
  ]);
  expect(auditOf("consent.change").map((e) => JSON.parse(e.details))).toEqual([
    { required: true, version: 1, newVersion: true },
    { required: true, version: 1, newVersion: false },
    { required: true, version: 2, newVersion: true },
  ]);
});

test("registration asks for the current text; the box is required; the accepted version is kept with its time and shown on the account page", async () => {
  const a = await open();
  await a.post("/admin/consent", { required: "on", text: TEXT_1 });
  await a.post("/admin/consent", { required: "on", text: TEXT_2 });
  const c = new TestClient(inst.app, ORIGIN);
  const form = await (await c.get("/register")).text();
  expect(form).toContain("We keep your name, email and phone");
  expect(form).not.toContain("We never share them");
  expect(form).toContain('<input type="hidden" name="consentVersion" value="2"/>');

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
  expect(consents()).toEqual([]);

  const at = inst.clock.now();
  const proven = await c.post("/register/code", { email: "maria@example.org", name: "Maria", code, consentVersion: "2" });
  expect(proven.headers.get("location")).toBe("/welcome");
  const stored = consents();
  expect(stored).toHaveLength(1);
  expect(stored[0]!.version).toBe(2);
  expect(stored[0]!.acceptedAt - at).toBeLessThan(5_000);
  expect(stored[0]!.acceptedAt - at).toBeGreaterThanOrEqual(0);
  expect(auditOf("consent.accept")).toEqual([{ target: stored[0]!.personId, details: JSON.stringify({ version: 2 }) }]);

  await c.post("/welcome", { password: "maria's own passphrase" });
  const account = await (await c.get("/account")).text();
  expect(account).toContain("You accepted version 2 of the consent text on");
  expect(account).toContain(dateTimeFormat(EN, "Europe/Moscow").format(stored[0]!.acceptedAt)); // the organisation's zone
  expect(await (await a.get("/admin/consent")).text()).toContain("Version 2 · ");
  expect(await (await a.get("/admin/consent")).text()).toContain("(current) · accepted by 1 person");
  // Who never accepted anything sees no such line.
  expect(await (await a.get("/account")).text()).not.toContain("consent text on");
});

test("without the requirement, registration shows no box even when a text exists", async () => {
  const a = await open();
  await a.post("/admin/consent", { text: TEXT_1 });
  expect(versions()).toHaveLength(1);
  const form = await (await new TestClient(inst.app, ORIGIN).get("/register")).text();
  expect(form).not.toContain('name="consent"');
  expect((await new TestClient(inst.app, ORIGIN).post("/register", { name: "Ivan", email: "ivan@example.org" })).status).toBe(200);
});
