// The retention policy and the daily job, through the real app on a moved clock: the admin sets periods on
// /admin/retention (validated, audited), time passes, the job runs (from the page, and as the schedule would) and
// purges old chat, files (their sealed bytes on disk too), finished jobs and sessions, while a client under a legal
// hold and a client inside a "keep at least" period keep theirs, counted as kept.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { searchAudit } from "../src/audit/audit.ts";
import { book } from "../src/booking/appointments.ts";
import { cancelJobs, enqueue } from "../src/jobs/queue.ts";
import { createPerson } from "../src/people/people.ts";
import { placeHold } from "../src/retention/holds.ts";
import { DAY_MS } from "../src/retention/policy.ts";
import { lastRetentionRun } from "../src/retention/retention.ts";
import { retentionDue, startRetentionSchedule } from "../src/retention/retention-schedule.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { storeRoomFile } from "../src/rooms/files.ts";
import { closeRoom, createRoom } from "../src/rooms/rooms.ts";
import { listPersonSessions } from "../src/sessions/sessions.ts";
import { addPerson, cookieFor, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, runCli, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;

const filesDir = () => join(inst.config.dataDir, "files");
const count = (sql: string, ...args: string[]) => (inst.db.$client.query(sql).get(...args) as { n: number }).n;
const messagesIn = (roomId: string) => count("SELECT count(*) AS n FROM room_messages WHERE room_id = ?", roomId);
const filesIn = (roomId: string) => count("SELECT count(*) AS n FROM room_files WHERE room_id = ?", roomId);

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist");
}, 60_000);
afterAll(() => inst.close());

describe("the retention policy page", () => {
  test("refuses bad periods with the field's message, in English and Russian, and changes nothing", async () => {
    const as = signedInClient(inst, admin);
    const bad = await as.post("/admin/retention", { "chat.deleteAfterDays": "30", "chat.keepAtLeastDays": "60", "files.deleteAfterDays": "soon", "audit.deleteAfterDays": "3650", "sessions.deleteAfterDays": "0", "notes.deleteAfterDays": "7" });
    expect(bad.status).toBe(422);
    const text = await bad.text();
    expect(text).toContain("Keep at least cannot be longer than delete after.");
    expect(text).toContain("Enter whole days, e.g. 365.");
    expect(text).toContain("The audit log cannot be purged: leave this empty.");
    expect(text).toContain("Enter between 1 and 36,500 days (100 years).");
    expect(text).toContain("At least 30 days for this kind of record.");
    expect(text).toContain('value="soon"'); // the form keeps what was typed
    const ru = await as.post("/admin/retention", { "jobs.deleteAfterDays": "99999999" }, { "accept-language": "ru" });
    expect(ru.status).toBe(422);
    expect(await ru.text()).toContain("Введите целое число дней, например 365.");
    expect(searchAudit(inst.db, { actionPrefix: "retention.policy" })).toHaveLength(0);
    expect(await (await as.get("/admin/retention")).text()).toContain("The job has not run yet.");
  });

  test("saves valid periods, audited with every value, and shows them again", async () => {
    const as = signedInClient(inst, admin);
    const r = await as.post("/admin/retention", { "chat.deleteAfterDays": "30", "chat.keepAtLeastDays": "30", "audit.keepAtLeastDays": "2190" });
    expect(r.status).toBe(200);
    const page = await r.text();
    expect(page).toContain("The retention periods are saved.");
    expect(page).toContain('name="chat.deleteAfterDays" type="text" inputmode="numeric" value="30"');
    const entry = searchAudit(inst.db, { actionPrefix: "retention.policy" })[0]!;
    expect(entry.actor).toBe(admin.personId);
    expect(entry.details).toMatchObject({ "chat.deleteAfterDays": 30, "chat.keepAtLeastDays": 30, "audit.keepAtLeastDays": 2190, "audit.deleteAfterDays": null, "files.deleteAfterDays": null });
  });
});

describe("the retention job on a moved clock", () => {
  test("purges old chat, files with their bytes, finished jobs and sessions; keeps what a hold or keep-at-least protects", async () => {
    const t0 = Date.UTC(2027, 0, 4, 9, 0);
    inst.clock.set(t0);
    const as = signedInClient(inst, admin);
    const client = (email: string) => createPerson(inst, { role: "client", email, name: "Client" }, admin.personId)!.id;
    const free = client("free@example.org");
    const held = client("held@example.org");
    const kept = client("kept@example.org");
    // The kept client's last appointment is ahead: "keep at least" runs from its end.
    const service = makeService(inst, admin.personId, [specialist.personId]);
    setHours(inst, specialist.personId, everyDay("UTC"));
    const ahead = Temporal.Instant.fromEpochMilliseconds(t0).toZonedDateTimeISO("UTC").toPlainDate().add({ days: 60 });
    expect(book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(ahead, "10:00"), clientId: kept, actor: { personId: admin.personId, role: "admin" } }, t0).ok).toBe(true);

    const roomOf = async (subject: string) => {
      const { room } = createRoom(inst, specialist.personId, t0, subject === "org" ? {} : { subject, guests: [subject] });
      postChatMessage(inst, room.id, specialist.personId, "hello");
      const f = await storeRoomFile({ ...inst, filesDir: filesDir(), maxBytes: 1 << 20, roomQuotaBytes: 4 << 20 }, room.id, specialist.personId, "a.txt", new TextEncoder().encode("homework"));
      if (!f.ok) throw new Error(f.problem);
      closeRoom(inst, room.id, specialist.personId);
      return { room: room.id, file: f.file.id };
    };
    const rooms = { free: await roomOf(free), held: await roomOf(held), kept: await roomOf(kept), org: await roomOf("org") };
    // A room nobody ended (everyone left): it stays open and expires after four hours, and is purged like a closed one.
    const open = createRoom(inst, specialist.personId, t0, { subject: free, guests: [free] }).room.id;
    postChatMessage(inst, open, specialist.personId, "everyone left");
    // A room still live when the job runs is not touched.
    const live = createRoom(inst, specialist.personId, t0, { subject: free, guests: [free], expiresAt: t0 + 50 * DAY_MS }).room.id;
    postChatMessage(inst, live, specialist.personId, "still talking");

    inst.db.transaction((tx) => {
      enqueue(tx, inst.vault, { kind: "note", dedupeKey: "retention-test:done", subject: free, payload: {}, runAt: t0 }, t0);
      cancelJobs(tx, "retention-test:", t0);
    });
    cookieFor(inst, free); // a session that will lie unused
    // Sealed bytes left without their row (a crash between a purge's commit and the unlink), and one just written.
    writeFileSync(join(filesDir(), "orphan-old"), "sealed");
    utimesSync(join(filesDir(), "orphan-old"), new Date(t0 - 2 * DAY_MS), new Date(t0 - 2 * DAY_MS));
    mkdirSync(join(filesDir(), "not-a-file"));
    const hold = await as.post(`/admin/people/${held}/holds`, { recordType: "all", reason: "Court case 2-123/2027", until: "" });
    expect(hold.status).toBe(200);
    const saved = await as.post("/admin/retention", {
      "chat.deleteAfterDays": "30",
      "chat.keepAtLeastDays": "30",
      "files.deleteAfterDays": "30",
      "files.keepAtLeastDays": "30",
      "jobs.deleteAfterDays": "30",
      "sessions.deleteAfterDays": "30",
    });
    expect(saved.status).toBe(200);

    // Twenty days on, nothing has expired yet but the orphaned file.
    inst.clock.set(t0 + 20 * DAY_MS);
    const early = await signedInClient(inst, admin).post("/admin/retention/run");
    expect(early.status).toBe(200);
    const earlyText = await early.text();
    expect(earlyText).toMatch(/Done: \d+ records? purged\./); // expired sessions only
    expect(earlyText).toContain('<td data-purged="chat">0</td>');
    expect(earlyText).toContain('<td data-purged="files">1</td>'); // the orphan alone
    expect(existsSync(join(filesDir(), "orphan-old"))).toBe(false);
    expect(existsSync(join(filesDir(), "not-a-file"))).toBe(true);
    expect(messagesIn(rooms.free.room)).toBe(1);

    const late = t0 + 40 * DAY_MS;
    inst.clock.set(late);
    const page = signedInClient(inst, admin);
    const ran = await page.post("/admin/retention/run");
    expect(ran.status).toBe(200);
    const body = await ran.text();
    // Purged: the free client's and the organisation's room chat and files, the chat of the room left open and expired,
    // the finished job, the idle session.
    for (const r of [rooms.free, rooms.org]) {
      expect(messagesIn(r.room)).toBe(0);
      expect(filesIn(r.room)).toBe(0);
      expect(existsSync(join(filesDir(), r.file))).toBe(false);
    }
    expect(count("SELECT count(*) AS n FROM jobs WHERE dedupe_key = 'retention-test:done'")).toBe(0);
    expect(listPersonSessions(inst.db, free)).toHaveLength(0);
    expect(messagesIn(open)).toBe(0);
    // Kept: the held client's (legal hold), the kept client's (keep at least, from the appointment ahead), the live room.
    for (const r of [rooms.held, rooms.kept]) {
      expect(messagesIn(r.room)).toBe(1);
      expect(filesIn(r.room)).toBe(1);
      expect(existsSync(join(filesDir(), r.file))).toBe(true);
    }
    expect(messagesIn(live)).toBe(1);
    // The report: on the page, in the audit, and kept for the next visit.
    expect(body).toContain('<td data-purged="chat">3</td>');
    expect(body).toContain('<td data-purged="files">2</td>');
    expect(body).toContain('<td data-purged="jobs">1</td>');
    expect(body).toContain('<td data-kept-by-hold="chat">1</td>');
    expect(body).toContain('<td data-kept-by-law="files">1</td>');
    const audit = searchAudit(inst.db, { actionPrefix: "retention.run" })[0]!;
    expect(audit.actor).toBe(admin.personId);
    expect(audit.details).toMatchObject({ "purged.chat": 3, "purged.files": 2, "purged.jobs": 1, "keptByHold.chat": 1, "keptByHold.files": 1, "keptByLaw.chat": 1, "keptByLaw.files": 1 });
    expect(audit.details["purged.sessions"]).toBeGreaterThanOrEqual(1);
    expect(lastRetentionRun(inst.db)?.at).toBe(late);
    expect(await (await page.get("/admin/retention")).text()).toContain('<td data-purged="chat">3</td>');

    // The schedule: not due again within the day, due after it; its run is the system's.
    expect(retentionDue(inst, late + DAY_MS - 1)).toBe(false);
    inst.clock.set(late + 100 * DAY_MS); // past the kept client's appointment and its 30 days
    expect(retentionDue(inst, inst.clock.now())).toBe(true);
    const schedule = startRetentionSchedule(inst, { firstCheckMs: 60_000 });
    schedule.tick();
    schedule.stop();
    expect(searchAudit(inst.db, { actionPrefix: "retention.run" })[0]!.actor).toBe("system");
    expect(messagesIn(rooms.kept.room)).toBe(0);
    expect(existsSync(join(filesDir(), rooms.kept.file))).toBe(false);
    expect(messagesIn(rooms.held.room)).toBe(1); // the hold has no end
    expect(inst.logs.join("")).not.toContain("homework");
    inst.clock.release();
  });
});

describe("kabinet retention run", () => {
  test("purges old intake answers beside the open installation, keeps a held client's and those of an appointment ahead, prints the counts; a wrong subcommand is a usage error", async () => {
    const now = Date.now();
    inst.clock.release();
    const as = signedInClient(inst, admin);
    expect((await as.post("/admin/retention", { "intake.deleteAfterDays": "200" })).status).toBe(200);
    const service = makeService(inst, admin.personId, [specialist.personId]);
    setHours(inst, specialist.personId, everyDay("UTC"));
    // Booked and answered 300 days ago, for `day` days after that: 20 is an appointment long over, 330 one still ahead.
    const answer = (clientId: string, day: number) => {
      const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(day - 300), "09:00"), clientId, actor: { personId: admin.personId, role: "admin" } }, now - 300 * DAY_MS);
      if (!booked.ok) throw new Error(booked.reason);
      const id = booked.appointments[0]!.id;
      // Written with the vault until the intake service lands (src/intake): answers last changed 300 days ago.
      const sealed = Buffer.from(inst.vault.sealField(clientId, "intake_responses", "answers", id, "[]"));
      inst.db.$client.run("INSERT INTO intake_responses VALUES (?, ?, 1, ?, ?, ?)", [id, clientId, sealed, now - 300 * DAY_MS, now - 300 * DAY_MS]);
      return id;
    };
    const gone = answer(createPerson(inst, { role: "client", email: "intake-gone@example.org", name: "A" }, admin.personId)!.id, 20);
    const heldClient = createPerson(inst, { role: "client", email: "intake-held@example.org", name: "B" }, admin.personId)!.id;
    const held = answer(heldClient, 21);
    // Answered 300 days ago for an appointment still ahead (booked long in advance): the specialist has yet to read them.
    const ahead = answer(createPerson(inst, { role: "client", email: "intake-ahead@example.org", name: "C" }, admin.personId)!.id, 330);
    expect(placeHold(inst, heldClient, { recordType: "intake", reason: "Complaint under review", until: null }, admin.personId).ok).toBe(true);

    const r = runCli(["retention", "run"], inst.env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("intake: 1 purged, 1 kept by a legal hold\n");
    expect(r.stdout).toContain("audit: 0 purged\n");
    const left = inst.db.$client.query("SELECT appointment_id AS id FROM intake_responses").all() as { id: string }[];
    expect(left.map((x) => x.id).sort()).toEqual([held, ahead].sort());
    expect(left.map((x) => x.id)).not.toContain(gone);
    expect(searchAudit(inst.db, { actionPrefix: "retention.run" })[0]).toMatchObject({ actor: "cli", details: { "purged.intake": 1, "keptByHold.intake": 1 } });

    const wrong = runCli(["retention", "now"], inst.env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("unknown retention command: now; try: kabinet retention run");
  });
});

describe("odd input", () => {
  test("the policy and hold forms answer odd values with 4xx and their message, never a 500, and the pages are admins' only", async () => {
    inst.clock.release();
    const as = signedInClient(inst, admin);
    const client = createPerson(inst, { role: "client", email: "odd@example.org", name: "Odd" }, admin.personId)!.id;
    const statuses: number[] = [];
    for (const v of ["-1", "1.5", "1e3", "０", "0x10", "9".repeat(40), "%00", " 30 ", "abc", "<script>"]) {
      const r = await as.post("/admin/retention", { "chat.deleteAfterDays": v, "notes.keepAtLeastDays": v, "audit.keepAtLeastDays": v });
      statuses.push(r.status);
    }
    for (const until of ["2026-02-30", "99999-01-01", "0000-00-00", "-000001-01-01", "abc", "%00", "275760-09-13"]) {
      statuses.push((await as.post(`/admin/people/${client}/holds`, { recordType: "all", reason: "x", until })).status);
    }
    statuses.push((await as.post(`/admin/people/${client}/holds`, { recordType: "all", reason: "x".repeat(100_000) })).status);
    statuses.push((await as.post(`/admin/people/${client}/holds/${"A".repeat(500)}/release`)).status);
    statuses.push((await as.post(`/admin/people/no-such/holds`, { recordType: "all", reason: "x" })).status);
    statuses.push((await as.post(`/admin/people/no-such/restrict`)).status);
    statuses.push((await as.post(`/admin/people/${specialist.personId}/restrict`)).status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses).toContain(422);
    expect(statuses).toContain(404);
    // The specialist was never restricted, and no hold landed.
    expect(inst.db.$client.query("SELECT count(*) AS n FROM processing_restrictions WHERE person_id = ?").get(specialist.personId)).toEqual({ n: 0 });
    expect(inst.db.$client.query("SELECT count(*) AS n FROM legal_holds WHERE person_id = ?").get(client)).toEqual({ n: 0 });
    for (const path of ["/admin/retention", `/admin/people/${client}/holds`]) expect((await signedInClient(inst, specialist).get(path)).status).toBe(403);
  });
});
