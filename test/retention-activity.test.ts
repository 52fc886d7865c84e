// What counts as recent for the retention job, through the real app on a moved clock: a room whose appointment was
// moved ahead keeps its chat though the room expired long ago; an old note edited or autosaved lately is kept; and a
// purged file that cannot be removed from disk neither stops the other removals nor fails "Run now".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { appointmentRoom, book, rescheduleAppointment } from "../src/booking/appointments.ts";
import { createNote, saveNoteDraft, saveNoteVersion } from "../src/records/notes.ts";
import { DAY_MS } from "../src/retention/policy.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { storeRoomFile } from "../src/rooms/files.ts";
import { closeRoom, createRoom } from "../src/rooms/rooms.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let serviceId: string;

const count = (sql: string, ...args: string[]) => (inst.db.$client.query(sql).get(...args) as { n: number }).n;
const dayAfter = (t: number, days: number) => Temporal.Instant.fromEpochMilliseconds(t).toZonedDateTimeISO("UTC").toPlainDate().add({ days });
const run = async () => {
  const r = await signedInClient(inst, admin).post("/admin/retention/run");
  expect(r.status).toBe(200);
  return r.text();
};

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
  serviceId = makeService(inst, admin.personId, [specialist.personId]).id;
  setHours(inst, specialist.personId, everyDay("UTC"));
}, 60_000);
afterAll(() => inst.close());

describe("rooms left open", () => {
  test("a room expired long ago keeps its chat while its appointment, moved ahead, is still to come; after that it is purged", async () => {
    const t0 = Date.UTC(2027, 3, 5, 9, 0);
    inst.clock.set(t0);
    const client = await addPerson(inst, admin.personId, "client");
    expect((await signedInClient(inst, admin).post("/admin/retention", { "chat.deleteAfterDays": "30" })).status).toBe(200);
    const start = at(dayAfter(t0, 1), "10:00");
    const booked = book(inst, { serviceId, specialistId: specialist.personId, start, clientId: client.personId, actor: { personId: admin.personId, role: "admin" } }, t0);
    if (!booked.ok) throw new Error(booked.reason);
    const id = booked.appointments[0]!.id;
    // The specialist opens the room ten minutes early, then the session is moved two months on: the room stays open.
    inst.clock.set(start - 10 * 60_000);
    const room = appointmentRoom(inst, id, { personId: specialist.personId, role: "specialist" });
    if (!room.ok) throw new Error(room.reason);
    postChatMessage(inst, room.roomId, specialist.personId, "see you in June");
    const moved = rescheduleAppointment(inst, id, { personId: admin.personId, role: "admin" }, at(dayAfter(t0, 61), "10:00"));
    expect(moved.ok).toBe(true);
    const messages = () => count("SELECT count(*) AS n FROM room_messages WHERE room_id = ?", room.roomId);

    inst.clock.set(t0 + 45 * DAY_MS); // the room expired 44 days ago; the appointment is ahead
    await run();
    expect(messages()).toBe(1);
    inst.clock.set(t0 + 100 * DAY_MS); // the appointment is over
    expect(await run()).toContain('<td data-purged="chat">1</td>');
    expect(messages()).toBe(0);
    inst.clock.release();
  });
});

describe("notes edited lately", () => {
  test("an old note with a new version, or a new draft, is kept; once all of it is old, it is purged", async () => {
    const t0 = Date.UTC(2028, 0, 10, 9, 0);
    inst.clock.set(t0);
    expect((await signedInClient(inst, admin).post("/admin/retention", { "notes.deleteAfterDays": "365" })).status).toBe(200);
    const actor = { personId: specialist.personId, role: "specialist" as const };
    const withNote = async (hour: string) => {
      const client = await addPerson(inst, admin.personId, "client");
      expect(book(inst, { serviceId, specialistId: specialist.personId, start: at(dayAfter(t0, 1), hour), clientId: client.personId, actor }, t0).ok).toBe(true);
      const note = createNote(inst, actor, { clientId: client.personId, text: "Session one" }, t0);
      if (!note.ok) throw new Error(note.reason);
      return { clientId: client.personId, noteId: note.note.id };
    };
    const edited = await withNote("10:00");
    const drafted = await withNote("11:00");
    const later = t0 + 300 * DAY_MS;
    expect(saveNoteVersion(inst, actor, edited.clientId, edited.noteId, "Session one, corrected", 1, later).ok).toBe(true);
    expect(saveNoteDraft(inst, actor, drafted.clientId, drafted.noteId, "Session one, and more", 1, later).ok).toBe(true);
    const notesOf = (id: string) => count("SELECT count(*) AS n FROM client_notes WHERE client_id = ?", id);

    inst.clock.set(t0 + 400 * DAY_MS); // the notes are 400 days old, their last edit 100
    await run();
    expect(notesOf(edited.clientId)).toBe(1);
    expect(notesOf(drafted.clientId)).toBe(1);
    inst.clock.set(later + 366 * DAY_MS);
    expect(await run()).toContain('<td data-purged="notes">2</td>');
    expect(notesOf(edited.clientId) + notesOf(drafted.clientId)).toBe(0);
    inst.clock.release();
  });
});

describe("a file that cannot be removed", () => {
  test("is logged in one line without personal data; the other files go and Run now answers 200", async () => {
    const t0 = Date.UTC(2028, 6, 3, 9, 0);
    inst.clock.set(t0);
    const client = await addPerson(inst, admin.personId, "client");
    expect((await signedInClient(inst, admin).post("/admin/retention", { "files.deleteAfterDays": "30" })).status).toBe(200);
    const filesDir = join(inst.config.dataDir, "files");
    const shared = async (name: string) => {
      const { room } = createRoom(inst, specialist.personId, t0, { subject: client.personId, guests: [client.personId] });
      const f = await storeRoomFile({ ...inst, filesDir, maxBytes: 1 << 20, roomQuotaBytes: 4 << 20 }, room.id, specialist.personId, name, new TextEncoder().encode("homework"));
      if (!f.ok) throw new Error(f.problem);
      closeRoom(inst, room.id, specialist.personId);
      return f.file.id;
    };
    const stuck = await shared("diary-Zlatoslava.txt");
    const other = await shared("plan.txt");
    // The sealed file's place is taken by a directory: opening it to overwrite fails (EISDIR), even for root.
    rmSync(join(filesDir, stuck));
    mkdirSync(join(filesDir, stuck));
    const logged = inst.logs.length;

    inst.clock.set(t0 + 40 * DAY_MS);
    expect(await run()).toContain('<td data-purged="files">2</td>');
    expect(existsSync(join(filesDir, other))).toBe(false);
    expect(count("SELECT count(*) AS n FROM room_files WHERE id IN (?, ?)", stuck, other)).toBe(0);
    const lines = inst.logs.slice(logged).filter((l) => l.includes("could not remove a purged file"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(stuck);
    expect(lines[0]).toContain("EISDIR");
    expect(lines[0]).not.toContain("Zlatoslava");
    expect(lines[0]).not.toContain(client.personId);
    rmSync(join(filesDir, stuck), { recursive: true });
    inst.clock.release();
  });
});
