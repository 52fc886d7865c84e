// A withdrawn consent is honoured: what it covers stops. File sharing withdrawn → the client neither uploads to nor
// downloads from rooms; processing withdrawn → booking's confirm step refuses (and the admin sees why on the client's
// ledger); health data → healthDataAllowed, which intake forms ask; recording → nothing to stop yet, and the pages say so.
import { afterEach, expect, test } from "bun:test";
import { healthDataAllowed } from "../src/consent/ledger.ts";
import { book } from "../src/booking/appointments.ts";
import { recordAdmission } from "../src/rooms/rooms.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import type { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
afterEach(() => inst?.close());

async function open(): Promise<{ admin: TestPerson; a: TestClient; specialist: TestPerson; client: TestPerson; c: TestClient }> {
  inst = makeInstallation();
  const admin = await setUpOrganisation(inst);
  const specialist = await addPerson(inst, admin.personId, "specialist");
  const client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  return { admin, a: signedInClient(inst, admin), specialist, client, c: signedInClient(inst, client) };
}

async function writeText(a: TestClient, purpose: string, textEn: string): Promise<void> {
  expect((await a.post(`/admin/consent/${purpose}`, { textEn, textRu: `${textEn} (рус.)` })).status).toBe(200);
}

async function upload(p: TestPerson, roomId: string): Promise<Response> {
  const form = new FormData();
  form.append("file", new File([new Uint8Array(10).fill(0x61)], "notes.txt"));
  const browser = signedInClient(inst, p);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return await inst.app.request(`${browser.origin}/rooms/${roomId}/files`, { method: "POST", body: form, headers: { origin: browser.origin, cookie } });
}

test("file sharing withdrawn: the client can no longer upload to or download from the room; given again, they can", async () => {
  const { a, specialist, client, c } = await open();
  await writeText(a, "file-sharing", "Files you share in a call are kept with its record.");
  const host = signedInClient(inst, specialist);
  const roomId = (await host.post("/rooms")).headers.get("location")!.split("/").pop()!;
  const page = await (await host.get(`/rooms/${roomId}`)).text();
  await c.get(`/rooms/invite/${page.match(/\/rooms\/invite\/([A-Za-z0-9_-]{43})/)![1]!}`);
  await c.get("/rooms/join");
  recordAdmission(inst, roomId, client.personId);

  // Never asked: sharing works as before (existing clients were never asked for this consent).
  const first = await upload(client, roomId);
  expect(first.status).toBe(201);
  const fileId = ((await first.json()) as { id: string }).id;
  expect((await c.get(`/rooms/${roomId}/files/${fileId}`)).status).toBe(200);

  expect((await c.post("/account/consents/file-sharing/give", { version: "1" })).status).toBe(200);
  expect((await c.post("/account/consents/file-sharing/withdraw")).status).toBe(200);
  const refused = await upload(client, roomId);
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { error: string }).error).toBe(
    "You withdrew your consent to sharing files, so files cannot be uploaded or downloaded here. You can give it again under My account → My consents (/account/consents).",
  );
  const download = await c.get(`/rooms/${roomId}/files/${fileId}`);
  expect(download.status).toBe(403);
  expect(await download.text()).toContain("You withdrew your consent to sharing files");
  // The specialist in the same room is not held back by the client's choice.
  expect((await upload(specialist, roomId)).status).toBe(201);
  expect((await host.get(`/rooms/${roomId}/files/${fileId}`)).status).toBe(200);

  expect((await c.post("/account/consents/file-sharing/give", { version: "1" })).status).toBe(200);
  expect((await upload(client, roomId)).status).toBe(201);
  expect((await c.get(`/rooms/${roomId}/files/${fileId}`)).status).toBe(200);
});

test("file sharing withdrawn in an appointment's room: the specialist can neither upload there nor download the client's earlier files", async () => {
  const { admin, a, specialist, client } = await open();
  await writeText(a, "file-sharing", "Files you share in a call are kept with its record.");
  // A booked appointment's room is sealed under its client: what is shared there is the client's record.
  setHours(inst, specialist.personId, everyDay("UTC"));
  const service = makeService(inst, admin.personId, [specialist.personId]);
  const start = at(dayAhead(2), "10:00");
  const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start, clientId: client.personId, actor: { personId: specialist.personId, role: "specialist" } });
  if (!booked.ok) throw new Error(booked.reason);
  inst.clock.set(start - 5 * 60_000);
  // Signed in at the appointment's time (a session from before the moved clock would have expired).
  const host = signedInClient(inst, specialist);
  const c = signedInClient(inst, client);
  const joined = await host.post(`/appointments/${booked.appointments[0]!.id}/join`);
  expect(joined.status).toBe(303);
  const roomId = joined.headers.get("location")!.split("/").pop()!;
  recordAdmission(inst, roomId, client.personId);
  const earlier = await upload(client, roomId);
  expect(earlier.status).toBe(201);
  const fileId = ((await earlier.json()) as { id: string }).id;
  expect((await host.get(`/rooms/${roomId}/files/${fileId}`)).status).toBe(200);

  await c.post("/account/consents/file-sharing/give", { version: "1" });
  expect((await c.post("/account/consents/file-sharing/withdraw")).status).toBe(200);
  const refused = await upload(specialist, roomId);
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { error: string }).error).toBe(
    "The client of this consultation withdrew their consent to sharing files, so nobody can upload or download files in this room until they give it again.",
  );
  const download = await host.get(`/rooms/${roomId}/files/${fileId}`);
  expect(download.status).toBe(403);
  expect(await download.text()).toContain("The client of this consultation withdrew their consent to sharing files");
  // Nor through the client record: the file is listed without its link, and its download is refused.
  const record = await (await host.get(`/clients/${client.personId}`)).text();
  expect(record).toContain("withdrew their consent to sharing files");
  expect(record).not.toContain(`/files/${fileId}"`);
  expect((await host.get(`/clients/${client.personId}/rooms/${roomId}/files/${fileId}`)).status).toBe(403);
  // The client still sees their own reason.
  expect(await (await c.get(`/rooms/${roomId}/files/${fileId}`)).text()).toContain("You withdrew your consent to sharing files");
  expect(inst.db.$client.query("SELECT count(*) AS n FROM room_files WHERE room_id = ?").get(roomId)).toEqual({ n: 1 });

  await c.post("/account/consents/file-sharing/give", { version: "1" });
  expect((await upload(specialist, roomId)).status).toBe(201);
  expect((await host.get(`/rooms/${roomId}/files/${fileId}`)).status).toBe(200);
  expect((await host.get(`/clients/${client.personId}/rooms/${roomId}/files/${fileId}`)).status).toBe(200);
});

test("processing withdrawn: booking's confirm step refuses, pointing to the consent page; the admin sees it on the client's ledger", async () => {
  const { admin, a, specialist, client, c } = await open();
  await writeText(a, "processing", "We process your name and email to run your consultations.");
  const service = makeService(inst, admin.personId, [specialist.personId]);
  setHours(inst, specialist.personId, everyDay("UTC"));
  const slot = (time: string) => ({ start: String(at(dayAhead(3), time)), specialist: specialist.personId, tz: "UTC" });
  const appointments = () => (inst.db.$client.query("SELECT count(*) AS n FROM appointments WHERE client_id = ?").get(client.personId) as { n: number }).n;

  expect((await c.post(`/book/${service.id}`, slot("10:00"))).status).toBe(303); // never asked: books as before
  expect(appointments()).toBe(1);
  await c.post("/account/consents/processing/give", { version: "1" });
  await c.post("/account/consents/processing/withdraw");

  const refused = await c.post(`/book/${service.id}`, slot("12:00"));
  expect(refused.status).toBe(403);
  const html = await refused.text();
  expect(html).toContain("You withdrew your consent to the processing of your personal data, so new appointments cannot be booked.");
  expect(html).toContain('<a href="/account/consents" role="button">Open my consents</a>');
  // Nor can staff book for them.
  const forThem = await a.post(`/book/${service.id}`, { ...slot("14:00"), clientEmail: client.email });
  expect(forThem.status).toBe(403);
  expect(await forThem.text()).toContain(`href="/consent/clients/${client.personId}"`);
  expect(appointments()).toBe(1);

  const ledger = await (await a.get(`/consent/clients/${client.personId}`)).text();
  expect(ledger).toContain("This client withdrew consent to the processing of personal data: new bookings for them are refused.");
  expect(ledger).toContain("<strong>withdrawn</strong>");

  await c.post("/account/consents/processing/give", { version: "1" });
  expect((await c.post(`/book/${service.id}`, slot("12:00"))).status).toBe(303);
  expect(appointments()).toBe(2);
});

test("processing withdrawn: an objection is filed in the privacy queue with 152-FZ's thirty days; the client sees the organisation was asked to stop", async () => {
  const { admin, a, client, c } = await open();
  await writeText(a, "processing", "We process your name and email to run your consultations.");
  expect((await a.post("/admin/privacy/requests/law", { defaultLaw: "152-fz" })).status).toBe(303);
  inst.clock.set(Date.parse("2026-12-03T09:00:00Z"));
  await c.post("/account/consents/processing/give", { version: "1" });
  const withdrawn = await c.post("/account/consents/processing/withdraw");
  expect(withdrawn.status).toBe(200);

  const rows = inst.db.$client.query("SELECT id, kind, law, channel, received_at, due_at, status, note FROM privacy_requests WHERE person_id = ?").all(client.personId) as { id: string; kind: string; law: string; channel: string; received_at: number; due_at: number; status: string; note: Buffer }[];
  expect(rows).toHaveLength(1);
  const row = rows[0]!;
  expect(row).toMatchObject({ kind: "objection", law: "152-fz", channel: "account", received_at: Date.parse("2026-12-03T09:00:00Z"), status: "open" });
  // Thirty calendar days from 3 December: due by the end of 2 January on the organisation's clock (Moscow).
  expect(row.due_at).toBe(Date.parse("2027-01-02T21:00:00Z"));
  const audit = inst.db.$client.query("SELECT action, actor, target FROM audit_log WHERE action IN ('consent.withdraw', 'privacy-request.create') ORDER BY id DESC LIMIT 2").all();
  expect(audit).toEqual([
    { action: "privacy-request.create", actor: client.personId, target: client.personId },
    { action: "consent.withdraw", actor: client.personId, target: client.personId },
  ]);

  const page = await withdrawn.text();
  expect(page).toContain("Because you withdrew it, the organisation has been asked to stop processing your data and to destroy it by January 2, 2027, unless the law requires keeping some of it. Request: Open.");
  const queue = await (await signedInClient(inst, admin).get("/admin/privacy/requests")).text();
  expect(queue).toContain(`data-request="${row.id}"`);
  expect(queue).toContain("Filed automatically: the client withdrew consent to the processing of personal data.");
  expect(await (await signedInClient(inst, admin).get(`/consent/clients/${client.personId}`)).text()).toContain(
    "An objection was filed in the privacy queue with the withdrawal: stop processing and destroy their data by January 2, 2027 unless another legal basis requires keeping it.",
  );
  expect(await (await c.get("/account/consents", { "accept-language": "ru" })).text()).toContain("организации направлен запрос прекратить обработку ваших данных и уничтожить их до 2 января 2027");

  // Giving and withdrawing again files another request; withdrawing something else files none.
  await c.post("/account/consents/processing/give", { version: "1" });
  expect(await (await c.get("/account/consents")).text()).not.toContain("has been asked to stop");
  await writeText(a, "file-sharing", "Files you share in a call are kept with its record.");
  await c.post("/account/consents/file-sharing/give", { version: "1" });
  await c.post("/account/consents/file-sharing/withdraw");
  expect(inst.db.$client.query("SELECT count(*) AS n FROM privacy_requests WHERE person_id = ?").get(client.personId)).toEqual({ n: 1 });
});

test("health data: allowed only while consent to the current text is given; recording: the pages say it stops nothing yet", async () => {
  const { a, client, c } = await open();
  expect(healthDataAllowed(inst.db, client.personId)).toBe(false); // no text, no consent
  await writeText(a, "health-data", "We keep what you tell us about your health.");
  expect(healthDataAllowed(inst.db, client.personId)).toBe(false); // never given
  await c.post("/account/consents/health-data/give", { version: "1" });
  expect(healthDataAllowed(inst.db, client.personId)).toBe(true);
  await c.post("/account/consents/health-data/withdraw");
  expect(healthDataAllowed(inst.db, client.personId)).toBe(false);
  await c.post("/account/consents/health-data/give", { version: "1" });
  await writeText(a, "health-data", "We keep what you tell us about your health, and share it with your GP.");
  expect(healthDataAllowed(inst.db, client.personId)).toBe(false); // a new text: asked again

  expect(await (await c.get("/account/consents")).text()).toContain("Consultations are not recorded here, so this consent changes nothing yet.");
  expect(await (await a.get("/admin/consent")).text()).toContain("Consultations are not recorded: this consent stops nothing yet.");
});
