// The consent ledger through the real app: a client gives and withdraws each purpose on their own page (append-only
// entries, audited), re-consent after a new text where it is needed, the CSV of their ledger (formula cells
// neutralised), and the staff view of one client's ledger with a paper consent recorded by their specialist.
import { afterEach, expect, test } from "bun:test";
import { book } from "../src/booking/appointments.ts";
import { hasConsent } from "../src/consent/ledger.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import type { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
afterEach(() => inst?.close());

const ledger = (personId: string) =>
  inst.db.$client.query("SELECT purpose, version, action, method, recorded_by AS recordedBy FROM consent_ledger WHERE person_id = ? ORDER BY id").all(personId) as {
    purpose: string;
    version: number;
    action: string;
    method: string;
    recordedBy: string;
  }[];
const auditOf = (action: string) => inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string; details: string }[];

async function open(): Promise<{ admin: TestPerson; a: TestClient; client: TestPerson; c: TestClient }> {
  inst = makeInstallation();
  const admin = await setUpOrganisation(inst);
  const a = signedInClient(inst, admin);
  const client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  return { admin, a, client, c: signedInClient(inst, client) };
}

async function writeText(a: TestClient, purpose: string, textEn: string, textRu = `${textEn} (рус.)`): Promise<void> {
  expect((await a.post(`/admin/consent/${purpose}`, { textEn, textRu })).status).toBe(200);
}

test("a client gives and withdraws a consent on their own page: entries appended, audited, the page re-rendered with a notice", async () => {
  const { a, client, c } = await open();
  let page = await (await c.get("/account/consents")).text();
  for (const heading of ["Processing of personal data", "Health data", "Sharing files in consultations", "Recording of consultations"]) expect(page).toContain(heading);
  expect(page).toContain("The organisation has not written this consent yet.");
  expect(page).toContain("Consultations are not recorded here, so this consent changes nothing yet.");
  expect(page).not.toContain("/account/consents/health-data/give"); // nothing to agree to without a text

  await writeText(a, "health-data", "We keep what you tell us about your health.");
  page = await (await c.get("/account/consents")).text();
  expect(page).toContain("We keep what you tell us about your health.");
  expect(page).toContain('action="/account/consents/health-data/give"');

  const given = await c.post("/account/consents/health-data/give", { version: "1" });
  expect(given.status).toBe(200);
  page = await given.text();
  expect(page).toContain("Your consent is recorded.");
  expect(page).toContain("You agreed to version 1 on");
  expect(page).toContain("on the consents page");
  expect(page).toContain('action="/account/consents/health-data/withdraw"');
  expect(hasConsent(inst.db, client.personId, "health-data")).toBe(true);
  // Twice is once: the second answer says so and adds nothing.
  expect((await c.post("/account/consents/health-data/give", { version: "1" })).status).toBe(409);

  const withdrawn = await c.post("/account/consents/health-data/withdraw");
  expect(withdrawn.status).toBe(200);
  page = await withdrawn.text();
  expect(page).toContain("Your consent is withdrawn.");
  expect(page).toContain("Withdrawn on");
  expect(hasConsent(inst.db, client.personId, "health-data")).toBe(false);
  expect((await c.post("/account/consents/health-data/withdraw")).status).toBe(409);

  expect(ledger(client.personId)).toEqual([
    { purpose: "health-data", version: 1, action: "given", method: "account", recordedBy: client.personId },
    { purpose: "health-data", version: 1, action: "withdrawn", method: "account", recordedBy: client.personId },
  ]);
  expect(auditOf("consent.give")).toEqual([{ actor: client.personId, target: client.personId, details: JSON.stringify({ purpose: "health-data", version: 1, method: "account" }) }]);
  expect(auditOf("consent.withdraw")).toEqual([{ actor: client.personId, target: client.personId, details: JSON.stringify({ purpose: "health-data", version: 1, method: "account" }) }]);

  // A form showing an older text (the organisation changed it meanwhile) is refused: consent is to the words read.
  await writeText(a, "health-data", "We keep what you tell us about your health, for ten years.");
  const stale = await c.post("/account/consents/health-data/give", { version: "1" });
  expect(stale.status).toBe(409);
  expect(await stale.text()).toContain("The text changed while the page was open.");
  expect(ledger(client.personId)).toHaveLength(2);
  // No state changes without our origin (CSRF), and none for a purpose that does not exist.
  expect((await c.post("/account/consents/health-data/give", { version: "2" }, { origin: "https://evil.example" })).status).toBe(403);
  expect((await c.post("/account/consents/marketing/give", { version: "1" })).status).toBe(404);
  expect(ledger(client.personId)).toHaveLength(2);
  // The admin's page counts who consents now: nobody (withdrawn).
  expect(await (await a.get("/admin/consent")).text()).toContain("0 people consent now");

  // In Russian: the Russian words and labels.
  const ru = await (await c.get("/account/consents", { "accept-language": "ru" })).text();
  expect(ru).toContain("Мои согласия");
  expect(ru).toContain("We keep what you tell us about your health, for ten years. (рус.)");
});

test("a new text needs consent again for health data and recording; for processing and file sharing the consent carries over", async () => {
  const { a, client, c } = await open();
  for (const purpose of ["processing", "health-data", "file-sharing", "recording"]) {
    await writeText(a, purpose, `${purpose} text one`);
    expect((await c.post(`/account/consents/${purpose}/give`, { version: "1" })).status).toBe(200);
    expect(hasConsent(inst.db, client.personId, purpose as "processing")).toBe(true);
  }
  expect(await (await a.get("/admin/consent")).text()).toContain("1 person consents now");
  for (const purpose of ["processing", "health-data", "file-sharing", "recording"]) await writeText(a, purpose, `${purpose} text two`);
  expect(hasConsent(inst.db, client.personId, "processing")).toBe(true);
  expect(hasConsent(inst.db, client.personId, "file-sharing")).toBe(true);
  expect(hasConsent(inst.db, client.personId, "health-data")).toBe(false);
  expect(hasConsent(inst.db, client.personId, "recording")).toBe(false);
  const page = await (await c.get("/account/consents")).text();
  expect(page).toContain("You agreed to version 1, but the text has changed since: please read it and agree again.");
  expect(page).toContain("The text has changed since (version 2); your consent still holds.");
  expect(page).toContain("health-data text two");
  // Staff read the same in the third person: the old consent to health data does not hold now.
  const staffView = await (await a.get(`/consent/clients/${client.personId}`)).text();
  expect(staffView).toContain("Given to version 1; the text has changed since, so it must be agreed to again and does not hold now.");
  expect(staffView).toContain("A newer text exists (version 2); the consent carries over.");
  expect((await c.post("/account/consents/health-data/give", { version: "2" })).status).toBe(200);
  expect(hasConsent(inst.db, client.personId, "health-data")).toBe(true);
  // The admin's counts: health data's one consent moved to version 2; file sharing's stays on version 1.
  const admin = await (await a.get("/admin/consent")).text();
  const section = (purpose: string, next: string) => admin.slice(admin.indexOf(`id="purpose-${purpose}"`), admin.indexOf(`id="purpose-${next}"`));
  expect(section("health-data", "file-sharing")).toMatch(/Version 2 · [^<]*\(current\) · 1 person consents now[\s\S]*Version 1 · [^<]* · 0 people consent now/);
  expect(section("file-sharing", "recording")).toMatch(/Version 2 · [^<]*\(current\) · 0 people consent now[\s\S]*Version 1 · [^<]* · 1 person consents now/);
});

test("the client downloads their ledger as CSV; a text starting with = is neutralised", async () => {
  const { a, client, c } = await open();
  await writeText(a, "file-sharing", '=HYPERLINK("http://evil.example","Click")', "-Русский текст");
  await c.post("/account/consents/file-sharing/give", { version: "1" });
  await c.post("/account/consents/file-sharing/withdraw");
  const r = await c.get("/account/consents/ledger.csv");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  expect(r.headers.get("content-disposition")).toBe('attachment; filename="consents.csv"');
  const bytes = new Uint8Array(await r.arrayBuffer());
  expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // a BOM, so Excel reads UTF-8
  const csv = new TextDecoder().decode(bytes);
  const lines = csv.split("\r\n");
  expect(lines[0]).toBe("Time (UTC),Purpose,Version,Action,How,Recorded by,Text");
  expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,Sharing files in consultations,1,given,on the consents page,the client,"'=HYPERLINK\(""http:\/\/evil\.example"",""Click""\)"$/);
  expect(lines[2]).toContain(",withdrawn,");
  expect(csv).not.toMatch(/(^|,)=/m);
  const ru = await (await c.get("/account/consents/ledger.csv", { "accept-language": "ru" })).text();
  expect(ru).toContain(",'-Русский текст");
  expect(auditOf("consent.download")).toEqual([
    { actor: client.personId, target: client.personId, details: "{}" },
    { actor: client.personId, target: client.personId, details: "{}" },
  ]);
});

test("staff view: the admin and the client's specialist see the ledger and its CSV; a paper consent is recorded with who recorded it", async () => {
  const { admin, a, client, c } = await open();
  const spec = await addPerson(inst, admin.personId, "specialist", { name: "Sofia Specialist" });
  const other = await addPerson(inst, admin.personId, "specialist");
  const staff = await addPerson(inst, admin.personId, "staff");
  await writeText(a, "processing", "We process your data.");
  await writeText(a, "recording", "We may record.");
  await c.post("/account/consents/processing/give", { version: "1" });
  const url = `/consent/clients/${client.personId}`;

  // A specialist without an appointment with the client, staff, and the client themself are kept out.
  expect((await signedInClient(inst, other).get(url)).status).toBe(404);
  expect((await signedInClient(inst, staff).get(url)).status).toBe(403);
  expect((await c.get(url)).status).toBe(403);
  expect((await a.get(`/consent/clients/${spec.personId}`)).status).toBe(404); // not a client

  const service = makeService(inst, admin.personId, [spec.personId]);
  setHours(inst, spec.personId, everyDay("UTC"));
  expect(book(inst, { serviceId: service.id, specialistId: spec.personId, start: at(dayAhead(2), "10:00"), clientId: client.personId, actor: { personId: admin.personId, role: "admin" } }, inst.clock.now()).ok).toBe(true);
  const s = signedInClient(inst, spec);
  const view = await s.get(url);
  expect(view.status).toBe(200);
  const html = await view.text();
  expect(html).toContain("Consents of Maria Client");
  expect(html).toContain("Given to version 1 on");
  expect(html).toContain("on the consents page");

  const paper = await s.post(`${url}/paper`, { purpose: "recording", action: "given" });
  expect(paper.status).toBe(200);
  const after = await paper.text();
  expect(after).toContain("The consent is recorded.");
  expect(after).toContain("on a paper form (recorded by Sofia Specialist)");
  expect(ledger(client.personId).at(-1)).toEqual({ purpose: "recording", version: 1, action: "given", method: "staff", recordedBy: spec.personId });
  expect(auditOf("consent.give").at(-1)).toEqual({ actor: spec.personId, target: client.personId, details: JSON.stringify({ purpose: "recording", version: 1, method: "staff" }) });
  expect((await s.post(`${url}/paper`, { purpose: "recording", action: "sideways" })).status).toBe(422);
  expect((await s.post(`${url}/paper`, { purpose: "health-data", action: "given" })).status).toBe(409); // no text to sign
  // The client sees who recorded it on their own page.
  expect(await (await c.get("/account/consents")).text()).toContain("recorded by Sofia Specialist");

  const csv = await (await a.get(`${url}/ledger.csv`)).text();
  expect(csv).toContain(",Recording of consultations,1,given,on a paper form,Sofia Specialist,We may record.");
  expect((await signedInClient(inst, other).get(`${url}/ledger.csv`)).status).toBe(404);
  expect(auditOf("consent.view").map((e) => [e.actor, e.target])).toEqual([[spec.personId, client.personId]]);
  expect(auditOf("consent.download").map((e) => [e.actor, e.target])).toEqual([[admin.personId, client.personId]]);
});

test("an erased client's ledger stays as evidence, nameless: the staff view says erased, the CSV still downloads", async () => {
  const { admin, a, client, c } = await open();
  await writeText(a, "processing", "We process your data.");
  await c.post("/account/consents/processing/give", { version: "1" });
  expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, client.personId, admin.personId).ok).toBe(true);
  const view = await a.get(`/consent/clients/${client.personId}`);
  expect(view.status).toBe(200);
  const html = await view.text();
  expect(html).toContain("Consents of an erased client");
  expect(html).not.toContain("Maria Client");
  expect(html).toContain("Given to version 1 on");
  expect(html).not.toContain("/paper"); // nothing new is recorded for someone who is gone
  const paper = await a.post(`/consent/clients/${client.personId}/paper`, { purpose: "processing", action: "withdrawn" });
  expect(paper.status).toBe(409);
  expect(await paper.text()).toContain("This client&#39;s data was erased: no new entries are recorded.");
  const csv = await a.get(`/consent/clients/${client.personId}/ledger.csv`);
  expect(csv.status).toBe(200);
  expect(await csv.text()).toContain(",Processing of personal data,1,given,on the consents page,the client,We process your data.");
});
