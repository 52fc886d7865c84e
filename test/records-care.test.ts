// The client record and the care relationship through the real app: the record page (contact, appointments of every
// status, notes, consultation chat and files), who is in a client's care (appointment, note, supervision), the
// clients list with its search over sealed names, and the admin page that sets supervision.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { appointmentRoom, book, cancelAppointment } from "../src/booking/appointments.ts";
import { withdrawConsent } from "../src/consent/ledger.ts";
import { saveIntakeForm, submitIntake } from "../src/intake/intake.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { storeRoomFile } from "../src/rooms/files.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import type { TestClient } from "./support/client.ts";
import { consentToHealthData } from "./support/consent.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let colleague: TestPerson;
let supervisor: TestPerson;
let clientId: string;
let roomId: string;
let fileId: string;
let as: (p: { personId: string }) => TestClient;

const auditOf = (action: string) =>
  inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = ? ORDER BY id").all(action) as { actor: string; target: string | null; details: string }[];

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Anna Care" });
  colleague = await addPerson(inst, admin.personId, "specialist", { name: "Dr Boris Other" });
  supervisor = await addPerson(inst, admin.personId, "specialist", { name: "Dr Vera Senior" });
  clientId = (await addPerson(inst, admin.personId, "client", { name: "Karl Record" })).personId;
  as = (p) => signedInClient(inst, p);
  const service = makeService(inst, admin.personId, [spec.personId], { cancelHours: 0, nameEn: "Therapy session" });
  setHours(inst, spec.personId, everyDay("UTC"));
  const actor = { personId: spec.personId, role: "specialist" as const };
  const starts = [at(dayAhead(1), "10:00"), at(dayAhead(2), "10:00"), at(dayAhead(3), "10:00")];
  const ids = starts.map((start) => {
    const r = book(inst, { serviceId: service.id, specialistId: spec.personId, start, clientId, actor }, inst.clock.now());
    if (!r.ok) throw new Error(`booking failed: ${r.reason}`);
    return r.appointments[0]!.id;
  });
  expect(cancelAppointment(inst, ids[2]!, actor, "Ill", inst.clock.now()).ok).toBe(true);
  // The first consultation takes place: chat and a file in its room.
  inst.clock.set(starts[0]!);
  const room = appointmentRoom(inst, ids[0]!, actor);
  if (!room.ok) throw new Error(`room: ${room.reason}`);
  roomId = room.roomId;
  postChatMessage(inst, roomId, clientId, "I slept better this week");
  const stored = await storeRoomFile({ ...inst, filesDir: join(inst.config.dataDir, "files"), maxBytes: 1 << 20, roomQuotaBytes: 4 << 20 }, roomId, clientId, "diary.txt", new TextEncoder().encode("Monday: calm"));
  if (!stored.ok) throw new Error("upload failed");
  fileId = stored.file.id;
  inst.clock.release();
  expect((await as(spec).post(`/clients/${clientId}/notes`, { text: "First impressions", appointmentId: ids[0]! })).status).toBe(303);
}, 60_000);
afterAll(() => {
  inst.clock.release();
  inst.close();
});

describe("client record", () => {
  test("the record shows contact, appointments of every status, notes, chat and files; opening it is audited as record.view", async () => {
    const before = auditOf("record.view").length;
    const r = await as(spec).get(`/clients/${clientId}`);
    expect(r.status).toBe(200);
    const html = await r.text();
    for (const text of ["Client record: Karl Record", "Therapy session", "Booked", "Cancelled", "I slept better this week", "diary.txt", "Note of", "No intake form answered yet.", "Consents of this client (ledger)"]) expect(html).toContain(text);
    expect(html).toContain(`/clients/${clientId}/rooms/${roomId}/files/${fileId}`);
    const views = auditOf("record.view").slice(before);
    expect(views).toEqual([{ actor: spec.personId, target: clientId, details: "{}" }]);
    // The read counts toward bulk-record-reads like any other read of a record.
    const { isRecordRead } = await import("../src/anomalies/rules.ts");
    expect(isRecordRead("record.view")).toBe(true);
  });

  test("the record shows the client's intake answers while they consent to health data, and withholds them after a withdrawal", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { cancelHours: 0, nameEn: "Intake session" });
    saveIntakeForm(inst, service.id, { active: true, fields: [{ id: "why", kind: "short-text", label: { en: "What brings you here?", ru: "Что вас привело?" }, options: [], required: true }] }, admin.personId, inst.clock.now());
    consentToHealthData(inst, clientId);
    const booked = book(inst, { serviceId: service.id, specialistId: spec.personId, start: at(dayAhead(6), "12:00"), clientId, actor: { personId: clientId, role: "client" } }, inst.clock.now());
    if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
    expect(submitIntake(inst, booked.appointments[0]!.id, { personId: clientId, role: "client" }, { "q.why": "Trouble sleeping since spring" }, inst.clock.now()).ok).toBe(true);
    const html = await (await as(spec).get(`/clients/${clientId}`)).text();
    expect(html).toContain("What brings you here?");
    expect(html).toContain("Trouble sleeping since spring");
    inst.db.transaction((tx) => withdrawConsent(tx, inst.vault, { personId: clientId, purpose: "health-data", method: "account", recordedBy: clientId }, inst.clock.now()));
    const after = await (await as(spec).get(`/clients/${clientId}`)).text();
    expect(after).not.toContain("Trouble sleeping since spring");
    expect(after).toContain("consent to the processing of health data");
  });

  test("a colleague with no part in the client's care gets 404; a supervisor set by an admin shares the care, reads the notes and downloads the files", async () => {
    expect((await as(colleague).get(`/clients/${clientId}`)).status).toBe(404);
    expect((await as(supervisor).get(`/clients/${clientId}`)).status).toBe(404);
    expect((await as(supervisor).get(`/clients/${clientId}/rooms/${roomId}/files/${fileId}`)).status).toBe(404);
    expect((await as(admin).post("/admin/supervisions", { supervisorId: supervisor.personId, specialistId: spec.personId })).status).toBe(200);
    try {
      const page = await as(supervisor).get(`/clients/${clientId}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Note of");
      const file = await as(supervisor).get(`/clients/${clientId}/rooms/${roomId}/files/${fileId}`);
      expect(file.status).toBe(200);
      expect(file.headers.get("content-disposition")).toContain("attachment");
      expect(await file.text()).toBe("Monday: calm");
      expect(auditOf("file.download").at(-1)).toEqual({ actor: supervisor.personId, target: roomId, details: JSON.stringify({ file: fileId }) });
      // The room's own download route is only for the people in the room: the supervisor was not.
      expect((await as(supervisor).get(`/rooms/${roomId}/files/${fileId}`)).status).toBe(404);
      // A file of a room that is not this client's is not found through their record.
      expect((await as(supervisor).get(`/clients/${clientId}/rooms/${crypto.randomUUID()}/files/${fileId}`)).status).toBe(404);
      expect((await as(colleague).get(`/clients/${clientId}`)).status).toBe(404);
    } finally {
      expect((await as(admin).post("/admin/supervisions/remove", { supervisorId: supervisor.personId, specialistId: spec.personId })).status).toBe(200);
    }
    expect((await as(supervisor).get(`/clients/${clientId}`)).status).toBe(404);
  });

  test("admins set and remove supervision, audited; a wrong pair is refused with its reason", async () => {
    const page = await as(admin).get("/admin/supervisions");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Dr Vera Senior");
    const same = await as(admin).post("/admin/supervisions", { supervisorId: spec.personId, specialistId: spec.personId });
    expect(same.status).toBe(422);
    expect(await same.text()).toContain("A person cannot supervise themself.");
    // An admin cannot make themself a supervisor (it would open every record of the supervised without a reason).
    const own = await as(admin).post("/admin/supervisions", { supervisorId: admin.personId, specialistId: spec.personId });
    expect(own.status).toBe(409);
    expect(await own.text()).toContain("You cannot make yourself a supervisor");
    expect((await as(admin).get(`/clients/${clientId}`)).status).toBe(404);
    const client = await as(admin).post("/admin/supervisions", { supervisorId: spec.personId, specialistId: clientId });
    expect(client.status).toBe(422);
    expect(await client.text()).toContain("Choose two specialists");
    expect((await as(admin).post("/admin/supervisions", { supervisorId: spec.personId, specialistId: crypto.randomUUID() })).status).toBe(404);
    expect((await as(admin).post("/admin/supervisions", { supervisorId: colleague.personId, specialistId: spec.personId })).status).toBe(200);
    const twice = await as(admin).post("/admin/supervisions", { supervisorId: colleague.personId, specialistId: spec.personId });
    expect(twice.status).toBe(409);
    const listed = await twice.text();
    expect(listed).toContain("Dr Boris Other");
    expect((await as(admin).post("/admin/supervisions/remove", { supervisorId: colleague.personId, specialistId: spec.personId })).status).toBe(200);
    expect((await as(admin).post("/admin/supervisions/remove", { supervisorId: colleague.personId, specialistId: spec.personId })).status).toBe(404);
    const mine = (action: string) => auditOf(action).filter((e) => JSON.parse(e.details).supervisor === colleague.personId);
    expect(mine("supervision.add")).toEqual([{ actor: admin.personId, target: spec.personId, details: JSON.stringify({ supervisor: colleague.personId }) }]);
    expect(mine("supervision.remove")).toHaveLength(1);
    expect((await as(spec).post("/admin/supervisions", { supervisorId: spec.personId, specialistId: colleague.personId })).status).toBe(403);
  });

  test("the clients list: a specialist sees their own clients, an admin every client marked when outside their care; the search matches the sealed names", async () => {
    const other = (await addPerson(inst, admin.personId, "client", { name: "Lena Elsewhere" })).personId;
    const mine = await (await as(spec).get("/clients")).text();
    expect(mine).toContain("Karl Record");
    expect(mine).not.toContain("Lena Elsewhere");
    expect(await (await as(colleague).get("/clients")).text()).toContain("No clients in your care yet.");
    const all = await (await as(admin).get("/clients")).text();
    expect(all).toContain("Karl Record");
    expect(all).toContain(`/clients/${other}`);
    expect(all).toContain("outside your care");
    const found = await (await as(admin).post("/clients/search", { q: "elsew" })).text();
    expect(found).toContain("Lena Elsewhere");
    expect(found).not.toContain("Karl Record");
    expect(await (await as(spec).post("/clients/search", { q: "zzz" })).text()).toContain("No client matches this name.");
    expect((await as({ personId: clientId }).get("/clients")).status).toBe(403);
  });

  test("a cancelled appointment puts no one in the care: booking and cancelling opens neither the record, nor the clients list, nor a note", async () => {
    const stranger = (await addPerson(inst, admin.personId, "client", { name: "Olga Stranger" })).personId;
    const service = makeService(inst, admin.personId, [colleague.personId], { cancelHours: 0 });
    setHours(inst, colleague.personId, everyDay("UTC"));
    const actor = { personId: colleague.personId, role: "specialist" as const };
    const booked = book(inst, { serviceId: service.id, specialistId: colleague.personId, start: at(dayAhead(6), "09:00"), clientId: stranger, actor }, inst.clock.now());
    if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
    expect((await as(colleague).get(`/clients/${stranger}`)).status).toBe(200); // booked: in the care
    expect(cancelAppointment(inst, booked.appointments[0]!.id, actor, "Client asked", inst.clock.now())).toMatchObject({ ok: true });
    expect((await as(colleague).get(`/clients/${stranger}`)).status).toBe(404);
    expect(await (await as(colleague).get("/clients")).text()).not.toContain("Olga Stranger");
    expect((await as(colleague).post(`/clients/${stranger}/notes`, { text: "A note to stay in the care", appointmentId: "" })).status).toBe(404);
    expect((await as(colleague).post(`/clients/${stranger}/notes`, { text: "A note to stay in the care", appointmentId: booked.appointments[0]!.id })).status).toBe(400);
    expect(inst.db.$client.query("SELECT count(*) AS n FROM client_notes WHERE client_id = ?").get(stranger)).toEqual({ n: 0 });
    expect((await as(colleague).get(`/consent/clients/${stranger}`)).status).toBe(404); // nor the client's consents
    // Outside the care, the way in is break-glass, not a redirect to the record.
    expect((await as(colleague).get(`/clients/${stranger}/break-glass`)).status).toBe(200);
    // The specialist of a cancelled appointment who keeps another with the client stays in the care (beforeAll).
    expect((await as(spec).get(`/clients/${clientId}`)).status).toBe(200);
  });

  test("an erased client's record is not found for everyone, never an error", async () => {
    const gone = (await addPerson(inst, admin.personId, "client", { name: "Gone Client" })).personId;
    const service = makeService(inst, admin.personId, [spec.personId], { cancelHours: 0 });
    expect(book(inst, { serviceId: service.id, specialistId: spec.personId, start: at(dayAhead(5), "11:00"), clientId: gone, actor: { personId: spec.personId, role: "specialist" } }, inst.clock.now()).ok).toBe(true);
    expect((await as(spec).get(`/clients/${gone}`)).status).toBe(200);
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, gone, admin.personId).ok).toBe(true);
    for (const who of [spec, admin]) expect((await as(who).get(`/clients/${gone}`)).status).toBe(404);
    expect(await (await as(admin).get("/clients")).text()).not.toContain(`/clients/${gone}"`);
    expect((await as(spec).post(`/clients/${gone}/break-glass`, { reason: "An emergency that needs the record now" })).status).toBe(404);
  });
});
