// Legal holds and restriction of processing through the real app: a hold placed on a client (audited, its reason
// sealed) blocks erasure with the reason on the erase page; the admin restricts processing instead (audited, the client
// marked, their booking refused); releasing the hold lets erasure through. A "keep at least" period blocks erasure the
// same way until the clock passes it, and the retention job then purges an erased client's notes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { searchAudit } from "../src/audit/audit.ts";
import { book } from "../src/booking/appointments.ts";
import { createNote } from "../src/records/notes.ts";
import { isErased } from "../src/privacy/erasure.ts";
import { DAY_MS } from "../src/retention/policy.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const REASON = "Medical records act, section 5: Pereplut-4417";
let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let serviceId: string;

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  serviceId = makeService(inst, admin.personId, [specialist.personId]).id;
  setHours(inst, specialist.personId, everyDay("UTC"));
}, 60_000);
afterAll(() => inst.close());

const holdIdOf = (page: string) => /\/holds\/([^/"]+)\/release/.exec(page)?.[1];

describe("legal holds", () => {
  test("a hold blocks erasure with its reason; restricting instead marks the client and refuses their booking; release, then erase", async () => {
    const client = await addPerson(inst, admin.personId, "client");
    const as = signedInClient(inst, admin);
    const id = client.personId;
    const placed = await as.post(`/admin/people/${id}/holds`, { recordType: "notes", reason: REASON, until: "" });
    expect(placed.status).toBe(200);
    const holdsPage = await placed.text();
    expect(holdsPage).toContain("The hold is placed.");
    expect(holdsPage).toContain(REASON);
    const holdId = holdIdOf(holdsPage)!;
    expect(searchAudit(inst.db, { actionPrefix: "hold.place" })[0]).toMatchObject({ actor: admin.personId, target: id, details: { hold: holdId, recordType: "notes", until: null } });
    // Sealed: the reason is nowhere in the database file in clear.
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    expect((await Bun.file(`${inst.config.dataDir}/kabinet.db`).arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect(Buffer.from(await Bun.file(`${inst.config.dataDir}/kabinet.db`).arrayBuffer()).includes("Pereplut-4417")).toBe(false);

    const form = await as.get(`/admin/people/${id}/erase`);
    const formText = await form.text();
    expect(formText).toContain("A legal hold stands on this client&#39;s records");
    expect(formText).toContain(REASON);
    expect(formText).not.toContain('name="confirm"');
    const refused = await as.post(`/admin/people/${id}/erase`, { confirm: "ERASE" });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(REASON);
    expect(isErased(inst.db, id)).toBe(false);
    const ru = await (await as.get(`/admin/people/${id}/erase`, { "accept-language": "ru" })).text();
    expect(ru).toContain("На записи этого клиента действует юридический запрет");
    expect(ru).toContain("Ограничить обработку вместо удаления");

    // Restrict instead: audited, marked on the person page and the erase page, and the client can no longer book.
    expect(formText).toContain(`action="/admin/people/${id}/restrict"`);
    const restricted = await as.post(`/admin/people/${id}/restrict`);
    expect(restricted.status).toBe(200);
    expect(await restricted.text()).toContain("Processing of this client&#39;s data is restricted.");
    expect(searchAudit(inst.db, { actionPrefix: "processing.restrict" })[0]).toMatchObject({ actor: admin.personId, target: id, details: { reason: "legal-hold" } });
    expect(await (await as.get(`/admin/people/${id}`)).text()).toContain('data-restricted="true"');
    const eraseNow = await (await as.get(`/admin/people/${id}/erase`)).text();
    expect(eraseNow).toContain('data-restricted="true"');
    expect(eraseNow).not.toContain(`action="/admin/people/${id}/restrict"`);
    expect((await as.post(`/admin/people/${id}/restrict`)).status).toBe(200); // twice: nothing new
    expect(searchAudit(inst.db, { actionPrefix: "processing.restrict" })).toHaveLength(1);

    const start = at(dayAhead(5), "10:00");
    const booking = await signedInClient(inst, client).post(`/book/${serviceId}`, { start: String(start), specialist: specialist.personId, tz: "UTC" });
    expect(booking.status).toBe(409);
    expect(await booking.text()).toContain("New appointments cannot be booked for this client: the processing of their data is restricted.");
    const byStaff = await as.post(`/book/${serviceId}`, { start: String(start), specialist: specialist.personId, tz: "UTC", client: id });
    expect(byStaff.status).toBe(409);
    expect(await byStaff.text()).toContain("the processing of their data is restricted");
    expect(inst.db.$client.query("SELECT count(*) AS n FROM appointments WHERE client_id = ?").get(id)).toEqual({ n: 0 });

    // Release, then the erasure goes through.
    const released = await as.post(`/admin/people/${id}/holds/${holdId}/release`);
    expect(released.status).toBe(200);
    expect(await released.text()).toContain("The hold is released.");
    expect(searchAudit(inst.db, { actionPrefix: "hold.release" })[0]).toMatchObject({ actor: admin.personId, target: id, details: { hold: holdId } });
    expect((await as.post(`/admin/people/${id}/holds/${holdId}/release`)).status).toBe(404); // released already
    const erased = await as.post(`/admin/people/${id}/erase`, { confirm: "ERASE" });
    expect(erased.status).toBe(200);
    expect(isErased(inst.db, id)).toBe(true);
    // The erased client's holds page still renders; the old hold's reason (which often names the person) went with
    // their key, and no new hold is placed on them.
    const viewsBefore = searchAudit(inst.db, { actionPrefix: "person.view" }).length;
    const after = await as.get(`/admin/people/${id}/holds`);
    expect(after.status).toBe(200);
    // Opening the holds page is a read of the client's data, like their person page: in the who-read report.
    expect(searchAudit(inst.db, { actionPrefix: "person.view" }).length).toBe(viewsBefore + 1);
    const afterText = await after.text();
    expect(afterText).not.toContain(REASON);
    expect(afterText).toContain("the reason is no longer readable: the client was erased");
    const onErased = await as.post(`/admin/people/${id}/holds`, { recordType: "notes", reason: REASON, until: "" });
    expect(onErased.status).toBe(422);
    expect(await onErased.text()).toContain("This client is erased: nothing of theirs is left to hold.");
  });

  test("a hold's form refuses a missing reason, an unknown type and a past or impossible day, in English and Russian", async () => {
    const client = await addPerson(inst, admin.personId, "client");
    const as = signedInClient(inst, admin);
    const url = `/admin/people/${client.personId}/holds`;
    const cases: [Record<string, string>, string][] = [
      [{ recordType: "all", reason: "  ", until: "" }, "Say why the records are held."],
      [{ recordType: "everything", reason: "x", until: "" }, "Choose which records are held."],
      [{ recordType: "all", reason: "x", until: "2001-01-01" }, "Choose a day after today, or leave it empty."],
      [{ recordType: "all", reason: "x", until: "2031-02-30" }, "Choose a day after today, or leave it empty."],
      [{ recordType: "all", reason: "x".repeat(501), until: "" }, "Use at most 500 characters."],
    ];
    for (const [form, message] of cases) {
      const r = await as.post(url, form);
      expect(r.status).toBe(422);
      expect(await r.text()).toContain(message);
    }
    const ru = await as.post(url, { recordType: "all", reason: "", until: "" }, { "accept-language": "ru" });
    expect(await ru.text()).toContain("Укажите основание запрета.");
    expect(searchAudit(inst.db, { actionPrefix: "hold.place" }).filter((e) => e.target === client.personId)).toHaveLength(0);
    // A hold with an end lapses by itself: erasure is blocked until that day has passed.
    const until = dayAhead(10).toString();
    expect((await as.post(url, { recordType: "all", reason: "Audit by the regulator", until })).status).toBe(200);
    expect(await (await as.get(`/admin/people/${client.personId}/erase`)).text()).toContain("Audit by the regulator");
    // Staff, specialists and the person themselves never reach the holds.
    for (const who of [specialist, client]) expect((await signedInClient(inst, who).get(url)).status).toBe(403);
    expect((await as.get(`/admin/people/${specialist.personId}/holds`)).status).toBe(404);
    inst.clock.set(Date.now() + 12 * DAY_MS);
    const later = await signedInClient(inst, admin).get(`/admin/people/${client.personId}/erase`);
    expect(await later.text()).toContain('name="confirm"');
    inst.clock.release();
  });
});

describe("keep at least", () => {
  test("a note younger than the period blocks erasure with the date; after it, erasure works and the job purges the erased client's notes", async () => {
    const t0 = Date.UTC(2027, 2, 1, 9, 0);
    inst.clock.set(t0);
    const client = await addPerson(inst, admin.personId, "client");
    const as = signedInClient(inst, admin);
    expect((await as.post("/admin/retention", { "notes.deleteAfterDays": "3650", "notes.keepAtLeastDays": "1825" })).status).toBe(200);
    const next = Temporal.Instant.fromEpochMilliseconds(t0).toZonedDateTimeISO("UTC").toPlainDate().add({ days: 1 });
    const actor = { personId: specialist.personId, role: "specialist" as const };
    expect(book(inst, { serviceId, specialistId: specialist.personId, start: at(next, "10:00"), clientId: client.personId, actor }, t0).ok).toBe(true);
    const note = createNote(inst, actor, { clientId: client.personId, text: "Session one" }, t0);
    expect(note.ok).toBe(true);
    const page = await (await as.get(`/admin/people/${client.personId}/erase`)).text();
    expect(page).toContain("The organisation&#39;s retention policy requires this client&#39;s records to be kept for now");
    // Five years from the end of the last appointment (the day after the note).
    expect(page).toMatch(/The retention policy keeps this client&#39;s Session notes until (Feb 29|Mar 1), 2032/);
    expect(page).toContain(`action="/admin/people/${client.personId}/restrict"`);
    expect((await as.post(`/admin/people/${client.personId}/erase`, { confirm: "ERASE" })).status).toBe(409);

    inst.clock.set(t0 + 1827 * DAY_MS);
    const later = signedInClient(inst, admin);
    expect((await later.post(`/admin/people/${client.personId}/erase`, { confirm: "ERASE" })).status).toBe(200);
    const count = () => (inst.db.$client.query("SELECT count(*) AS n FROM client_notes WHERE client_id = ?").get(client.personId) as { n: number }).n;
    expect(count()).toBe(1);
    const ran = await later.post("/admin/retention/run");
    expect(await ran.text()).toContain('<td data-purged="notes">1</td>');
    expect(count()).toBe(0);
    expect(inst.db.$client.query("SELECT count(*) AS n FROM client_note_versions WHERE note_id = ?").get(note.ok ? note.note.id : "")).toEqual({ n: 0 });
    inst.clock.release();
  });
});

describe("notes of long-inactive clients", () => {
  test("go after the notes period from their last appointment, unless a hold on notes stands", async () => {
    const t0 = Date.UTC(2027, 5, 1, 9, 0);
    inst.clock.set(t0);
    const as = signedInClient(inst, admin);
    expect((await as.post("/admin/retention", { "notes.deleteAfterDays": "3650" })).status).toBe(200);
    const actor = { personId: specialist.personId, role: "specialist" as const };
    const day = Temporal.Instant.fromEpochMilliseconds(t0).toZonedDateTimeISO("UTC").toPlainDate().add({ days: 1 });
    const withNote = async (hour: string) => {
      const client = await addPerson(inst, admin.personId, "client");
      expect(book(inst, { serviceId, specialistId: specialist.personId, start: at(day, hour), clientId: client.personId, actor }, t0).ok).toBe(true);
      expect(createNote(inst, actor, { clientId: client.personId, text: "Notes" }, t0).ok).toBe(true);
      return client.personId;
    };
    const inactive = await withNote("11:00");
    const held = await withNote("12:00");
    expect((await as.post(`/admin/people/${held}/holds`, { recordType: "notes", reason: "Insurance dispute", until: "" })).status).toBe(200);
    const notesOf = (id: string) => (inst.db.$client.query("SELECT count(*) AS n FROM client_notes WHERE client_id = ?").get(id) as { n: number }).n;

    inst.clock.set(t0 + 3000 * DAY_MS); // inside the period
    await signedInClient(inst, admin).post("/admin/retention/run");
    expect(notesOf(inactive)).toBe(1);
    inst.clock.set(t0 + 3660 * DAY_MS); // ten years and more after the last appointment
    const ran = await (await signedInClient(inst, admin).post("/admin/retention/run")).text();
    expect(notesOf(inactive)).toBe(0);
    expect(notesOf(held)).toBe(1);
    expect(ran).toContain('<td data-kept-by-hold="notes">1</td>');
    inst.clock.release();
  });
});
