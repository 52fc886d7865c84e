// Data-subject requests through the real app: a client files one from their account, staff record one received by
// letter, the queue shows them by deadline with overdue and close ones marked, closing is audited and needs a reason
// for a refusal, an admin downloads a client's data from the queue, and an erased client's requests still render.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eraseClient } from "../src/privacy/erasure.ts";
import { dueAt } from "../src/privacy/requests-deadline.ts";
import { fileRequest, type NewRequest } from "../src/privacy/requests.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let staff: TestPerson;
let specialist: TestPerson;
const NOW = Date.parse("2026-12-03T09:00:00Z"); // a Thursday; 12:00 in Moscow, the organisation's zone

type Row = { id: string; kind: string; law: string; channel: string; received_at: number; due_at: number; status: string; note: Buffer | null; outcome: Buffer | null };
const rowsOf = (personId: string) => inst.db.$client.query("SELECT * FROM privacy_requests WHERE person_id = ? ORDER BY received_at").all(personId) as Row[];
const auditAt = (action: string) => inst.db.$client.query("SELECT at, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { at: number; details: string }[];
const auditOf = (action: string) => inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[];
const day = (offset: number) => Temporal.Instant.fromEpochMilliseconds(NOW).toZonedDateTimeISO("Europe/Moscow").toPlainDate().add({ days: offset }).toString();

beforeAll(async () => {
  inst = makeInstallation();
  inst.clock.set(NOW);
  admin = await setUpOrganisation(inst);
  staff = await addPerson(inst, admin.personId, "staff");
  specialist = await addPerson(inst, admin.personId, "specialist");
}, 60_000);

/** A client of their own for each test (every test passes alone), with these requests filed through the service. */
async function clientWith(requests: Omit<NewRequest, "personId" | "channel">[] = [], name = "Clara Client"): Promise<{ client: TestPerson; ids: string[] }> {
  const client = await addPerson(inst, admin.personId, "client", { name });
  const ids = requests.map((r) => {
    const filed = fileRequest(inst, { ...r, personId: client.personId, channel: "email" }, staff.personId);
    if (!filed.ok) throw new Error(filed.reason);
    return filed.request.id;
  });
  return { client, ids };
}
const monthAgoPlus = (days: number) => Temporal.PlainDate.from(day(days)).subtract({ months: 1 }).toZonedDateTime({ timeZone: "Europe/Moscow", plainTime: "10:00" }).epochMilliseconds;
afterAll(() => inst.close());

describe("data-subject requests", () => {
  test("a client files a request from their account: deadline shown, note sealed, audited, admins told", async () => {
    const { client } = await clientWith();
    const as = signedInClient(inst, client);
    const page = await as.get("/account/privacy");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("You have not made any requests.");
    const bad = await as.post("/account/privacy/requests", { kind: "anything" });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("This value is not valid.");
    const r = await as.post("/account/privacy/requests", { kind: "rectification", note: "Canary-Mokosh my phone is wrong" });
    expect(r.status).toBe(303);
    const shown = await (await as.follow(r)).text();
    // GDPR (the organisation works in English): one month after 3 December, on the organisation's clock.
    expect(shown).toContain("Your request is received. We will answer by January 3, 2027.");
    expect(shown).toContain("Correct my data · Open · answer due by January 3, 2027");
    const [row] = rowsOf(client.personId);
    expect(row).toMatchObject({ kind: "rectification", law: "gdpr", channel: "account", received_at: NOW, status: "open" });
    expect(row!.due_at).toBe(dueAt("gdpr", NOW, "Europe/Moscow"));
    expect(row!.note!.includes(Buffer.from("Canary-Mokosh"))).toBe(false);
    expect(auditOf("privacy-request.create").at(-1)).toEqual({ actor: client.personId, target: client.personId, details: JSON.stringify({ request: row!.id, kind: "rectification", law: "gdpr", channel: "account", receivedAt: NOW }) });
    expect(auditOf("privacy-request.create").at(-1)!.details).not.toContain("Mokosh");
    // Admins and staff see the count on their start page; specialists do not handle requests.
    expect(await (await signedInClient(inst, admin).get("/")).text()).toMatch(/\d+ open privacy requests?</);
    expect(await (await signedInClient(inst, staff).get("/")).text()).toMatch(/\d+ open privacy requests?</);
    expect(await (await signedInClient(inst, specialist).get("/")).text()).not.toContain("privacy request");
    // In Russian.
    const ru = await (await as.get("/account/privacy", { "accept-language": "ru" })).text();
    expect(ru).toContain("Исправить мои данные · Открыто · ответ до 3 января 2027");
  });

  test("an admin sets the law for new requests: a client's own request then gets 152-FZ's ten working days", async () => {
    const as = signedInClient(inst, admin);
    expect((await signedInClient(inst, staff).post("/admin/privacy/requests/law", { defaultLaw: "152-fz" })).status).toBe(403);
    expect((await as.post("/admin/privacy/requests/law", { defaultLaw: "hipaa" })).status).toBe(422);
    const r = await as.post("/admin/privacy/requests/law", { defaultLaw: "152-fz" });
    expect(r.status).toBe(303);
    expect(await (await as.follow(r)).text()).toContain("Saved: new requests follow this law.");
    expect(auditOf("privacy-request.default-law").at(-1)).toEqual({ actor: admin.personId, target: null, details: JSON.stringify({ law: "152-fz" }) });
    try {
      const { client } = await clientWith();
      const filed = await signedInClient(inst, client).post("/account/privacy/requests", { kind: "objection" });
      expect(filed.status).toBe(303);
      const row = rowsOf(client.personId)[0]!;
      expect(row.law).toBe("152-fz");
      // Ten working days from Thursday 3 December: Thursday 17 December.
      expect(await (await signedInClient(inst, client).follow(filed)).text()).toContain("We will answer by December 17, 2026.");
    } finally {
      await as.post("/admin/privacy/requests/law", { defaultLaw: "gdpr" });
    }
  });

  test("staff record a request received by letter; bad input is refused with the field's message", async () => {
    const { client } = await clientWith();
    const as = signedInClient(inst, staff);
    const form = { email: client.email, kind: "erasure", law: "152-fz", channel: "letter", received: day(-16), note: "Letter of 17 November" };
    const unknown = await as.post("/admin/privacy/requests", { ...form, email: "nobody@example.org" });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain("There is no client with this email address.");
    const staffEmail = await as.post("/admin/privacy/requests", { ...form, email: specialist.email });
    expect(staffEmail.status).toBe(422);
    const future = await as.post("/admin/privacy/requests", { ...form, received: day(1) });
    expect(future.status).toBe(422);
    expect(await future.text()).toContain("This value is not valid.");
    const ok = await as.post("/admin/privacy/requests", form);
    expect(ok.status).toBe(303);
    expect(await (await as.follow(ok)).text()).toContain("The request is recorded.");
    // 152-FZ: ten working days from 17 November (a Tuesday) is 1 December: overdue now.
    const row = rowsOf(client.personId)[0]!;
    expect(row).toMatchObject({ kind: "erasure", law: "152-fz", channel: "letter", status: "open" });
    expect(Temporal.Instant.fromEpochMilliseconds(row.due_at - 1).toZonedDateTimeISO("Europe/Moscow").toPlainDate().toString()).toBe("2026-12-01");
    expect(auditOf("privacy-request.create").at(-1)).toMatchObject({ actor: staff.personId, target: client.personId });
    // Audited when it was recorded (the installation's now), with the day it was received in the details: not backdated.
    const received = Temporal.PlainDate.from(day(-16)).toZonedDateTime({ timeZone: "Europe/Moscow" }).epochMilliseconds;
    expect(auditAt("privacy-request.create").at(-1)).toEqual({ at: NOW, details: JSON.stringify({ request: row.id, kind: "erasure", law: "152-fz", channel: "letter", receivedAt: received }) });
    expect(row.received_at).toBe(received);
  });

  test("152-FZ deadlines by what is asked: a correction is due in seven working days, access in ten", async () => {
    const { client } = await clientWith();
    const as = signedInClient(inst, staff);
    const form = { email: client.email, law: "152-fz", channel: "email", received: day(0), note: "" };
    expect((await as.post("/admin/privacy/requests", { ...form, kind: "rectification" })).status).toBe(303);
    expect((await as.post("/admin/privacy/requests", { ...form, kind: "access" })).status).toBe(303);
    const due = Object.fromEntries(rowsOf(client.personId).map((r) => [r.kind, Temporal.Instant.fromEpochMilliseconds(r.due_at - 1).toZonedDateTimeISO("Europe/Moscow").toPlainDate().toString()]));
    // From Thursday 3 December: seven working days is Monday 14 December, ten is Thursday 17 December.
    expect(due).toEqual({ rectification: "2026-12-14", access: "2026-12-17" });
  });

  test("the queue lists open requests by deadline, overdue and close ones marked; erasure links to the erase page", async () => {
    const { client, ids } = await clientWith([
      { kind: "access", law: "gdpr", receivedAt: NOW, note: "By mail" },
      { kind: "objection", law: "gdpr", receivedAt: monthAgoPlus(2) }, // due in two days
      { kind: "erasure", law: "152-fz", receivedAt: Date.parse("2026-11-17T08:00:00Z"), note: "Letter of 17 November" }, // due 1 December
    ]);
    const page = await signedInClient(inst, admin).get("/admin/privacy/requests");
    expect(page.status).toBe(200);
    const html = await page.text();
    const urgencies = [...html.matchAll(/data-request="([^"]+)" data-urgency="([a-z]+)"/g)].filter((m) => ids.includes(m[1]!)).map((m) => [m[1], m[2]]);
    expect(urgencies).toEqual([[ids[2], "overdue"], [ids[1], "soon"], [ids[0], "later"]]);
    expect(html).toContain("Overdue: December 1, 2026");
    // Each client's name leads to their page; an objection also to their holds and consents.
    expect(html).toContain(`<a href="/admin/people/${client.personId}">`);
    expect(html).toContain(`href="/admin/people/${client.personId}/holds"`);
    expect(html).toContain(`href="/consent/clients/${client.personId}"`);
    // Showing the queue (many clients' names and notes) is recorded as a list read.
    const listed = inst.db.$client.query("SELECT details FROM audit_log WHERE action = 'privacy-requests.list' ORDER BY id DESC LIMIT 1").get() as { details: string } | null;
    expect(JSON.parse(listed!.details).open).toBeGreaterThanOrEqual(3);
    expect(html).toContain("Due within 3 days: December 5, 2026");
    expect(html).toContain(`href="/admin/people/${client.personId}/erase"`);
    expect(html).toContain("Letter of 17 November");
    expect(html).toContain("Clara Client");
    // Staff see the queue but neither the erase link nor the download (both an admin's acts).
    const asStaff = await (await signedInClient(inst, staff).get("/admin/privacy/requests")).text();
    expect(asStaff).not.toContain("/erase");
    expect(asStaff).not.toContain("/export");
  });

  test("closing: a refusal needs a reason; done is audited; a closed request cannot be closed again", async () => {
    const { client, ids } = await clientWith([{ kind: "objection", law: "gdpr", receivedAt: NOW }]);
    const as = signedInClient(inst, staff);
    const id = ids[0]!;
    const noReason = await as.post(`/admin/privacy/requests/${id}/close`, { status: "refused", outcome: " " });
    expect(noReason.status).toBe(422);
    expect(await noReason.text()).toContain("Say why the request is refused: the client is owed the reason.");
    const done = await as.post(`/admin/privacy/requests/${id}/close`, { status: "done", outcome: "Processing stopped on 3 December" });
    expect(done.status).toBe(303);
    const row = rowsOf(client.personId).find((r) => r.id === id)!;
    expect(row.status).toBe("done");
    expect(row.outcome!.includes(Buffer.from("Processing stopped"))).toBe(false);
    expect(auditOf("privacy-request.close").at(-1)).toEqual({ actor: staff.personId, target: client.personId, details: JSON.stringify({ request: id, kind: "objection", status: "done", late: false }) });
    const again = await as.post(`/admin/privacy/requests/${id}/close`, { status: "refused", outcome: "no" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("This request was already closed.");
    expect((await as.post("/admin/privacy/requests/no-such/close", { status: "done" })).status).toBe(404);
    // The client sees the outcome.
    expect(await (await signedInClient(inst, client).get("/account/privacy")).text()).toContain("Object to the use of my data · Answered · Processing stopped on 3 December");
  });

  test("an admin downloads the client's data from the queue, audited as a staff export; staff may not", async () => {
    const { client, ids } = await clientWith([{ kind: "access", law: "gdpr", receivedAt: NOW }]);
    const id = ids[0]!;
    expect((await signedInClient(inst, staff).post(`/admin/privacy/requests/${id}/export`)).status).toBe(403);
    const r = await signedInClient(inst, admin).post(`/admin/privacy/requests/${id}/export`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/zip");
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 4))).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(auditOf("record.export").at(-1)).toEqual({ actor: admin.personId, target: client.personId, details: JSON.stringify({ by: "staff", request: id }) });
  });

  test("the queue's download answers only an open request for a copy or for portability: 409 with the reason otherwise", async () => {
    const { client, ids } = await clientWith([
      { kind: "erasure", law: "gdpr", receivedAt: NOW },
      { kind: "portability", law: "gdpr", receivedAt: NOW },
      { kind: "access", law: "152-fz", receivedAt: NOW },
    ]);
    const as = signedInClient(inst, admin);
    const exports = () => auditOf("record.export").filter((e) => e.target === client.personId).length;
    const html = await (await as.get("/admin/privacy/requests")).text();
    expect(html).not.toContain(`/admin/privacy/requests/${ids[0]}/export`); // no button where it would be refused
    expect(html).toContain(`/admin/privacy/requests/${ids[1]}/export`);

    const wrongKind = await as.post(`/admin/privacy/requests/${ids[0]}/export`);
    expect(wrongKind.status).toBe(409);
    expect(wrongKind.headers.get("content-type")).not.toBe("application/zip");
    expect(await wrongKind.text()).toContain("Only a request for a copy of the data or for data to take elsewhere is answered with a download");
    expect(exports()).toBe(0);

    expect((await as.post(`/admin/privacy/requests/${ids[1]}/export`)).status).toBe(200); // portability
    expect((await as.post(`/admin/privacy/requests/${ids[2]}/close`, { status: "done", outcome: "Sent" })).status).toBe(303);
    const closed = await as.post(`/admin/privacy/requests/${ids[2]}/export`);
    expect(closed.status).toBe(409);
    expect(await closed.text()).toContain("This request is closed: a client&#39;s data is downloaded only to answer an open request.");
    expect(exports()).toBe(1);
  });

  test("once the client is erased, their requests still show (their words gone) and cannot be exported", async () => {
    const { client, ids } = await clientWith([{ kind: "erasure", law: "gdpr", receivedAt: NOW, note: "Erin-letter-canary" }, { kind: "access", law: "gdpr", receivedAt: NOW }], "Erin Erased");
    const erased = eraseClient({ ...inst, dataDir: inst.config.dataDir }, client.personId, admin.personId);
    expect(erased.ok).toBe(true);
    const as = signedInClient(inst, admin);
    const page = await as.get("/admin/privacy/requests");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(new RegExp(`data-request="${ids[0]}"[^]*?Erased client`));
    expect(html).not.toContain("Erin Erased");
    expect(html).not.toContain("Erin-letter-canary");
    expect(html).not.toContain(`/admin/people/${client.personId}/erase`);
    const id = ids[0]!;
    const r = await as.post(`/admin/privacy/requests/${ids[1]}/export`);
    expect(r.status).toBe(409);
    expect(await r.text()).toContain("This client is erased");
    const closed = await as.post(`/admin/privacy/requests/${id}/close`, { status: "done", outcome: "Erased on request" });
    expect(closed.status).toBe(303);
    expect(rowsOf(client.personId).find((r) => r.id === id)!.status).toBe("done");
    expect(inst.logs.join("")).not.toContain(client.email);
  });
});
