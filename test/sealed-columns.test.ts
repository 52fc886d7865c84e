// SEALED_COLUMNS is a promise: every column it names holds only sealed bytes, and every blob column of the schema is
// either named there or is one of the few that hold keys, MACs or keyed hashes. Each listed column gets a canary
// through the real service that writes it; the canary must never reach the database file or its WAL in clear.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { startTOTPEnrolment } from "../src/accounts/two-factor.ts";
import { book, cancelAppointment } from "../src/booking/appointments.ts";
import { createFeed } from "../src/booking/feeds.ts";
import * as schema from "../src/db/schema.ts";
import { enqueue } from "../src/jobs/queue.ts";
import { placeHold } from "../src/retention/holds.ts";
import { createPerson } from "../src/people/people.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { storeRoomFile } from "../src/rooms/files.ts";
import { createRoom } from "../src/rooms/rooms.ts";
import { createNote, saveNoteDraft } from "../src/records/notes.ts";
import { saveIntakeForm, submitIntake } from "../src/intake/intake.ts";
import { breakGlass } from "../src/records/care.ts";
import { closeRequest, fileRequest } from "../src/privacy/requests.ts";
import { recordIncident } from "../src/accountability/incidents.ts";
import { createToken } from "../src/api/tokens.ts";
import { storeUpload } from "../src/imports/imports.ts";
import { createEndpoint } from "../src/webhooks/endpoints.ts";
import { addPerson, setUpOrganisation } from "./support/accounts.ts";
import { idempotencyProbe } from "./support/api.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { consentToHealthData } from "./support/consent.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
afterEach(() => inst?.close());

/** Blob columns that hold no personal data in clear by design: wrapped keys, MACs, keyed hashes. */
const NOT_SEALED_BLOBS = new Set([
  "data_keys.wrapped",
  "audit_log.mac",
  "people.email_index",
  "recovery_codes.code_hash",
  "sessions.token_hash",
  "one_time_links.token_hash",
  "rooms.invite_hash",
  "calendar_feeds.token_hash",
  "email_codes.code_hash",
  "api_tokens.token_hash", // SHA-256 of a 256-bit random secret
  "api_idempotency.request_hash", // HMAC under the index key of a request's method, path and body
]);

function tables(): SQLiteTable[] {
  return (Object.values(schema) as unknown[]).filter((v): v is SQLiteTable => is(v, SQLiteTable));
}

function diskBytes(): Buffer {
  const files = ["kabinet.db", "kabinet.db-wal"].map((f) => join(inst.config.dataDir, f)).filter(existsSync);
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

function rawColumn(table: string, column: string): (Uint8Array | null)[] {
  return (inst.db.$client.query(`SELECT ${column} AS v FROM ${table}`).all() as { v: Uint8Array | null }[]).map((r) => r.v);
}

describe("SEALED_COLUMNS", () => {
  test("every blob column is either listed as sealed or known to hold no personal data, and every listed column exists", () => {
    const blobs = new Set<string>();
    const all = new Set<string>();
    expect(tables().length).toBeGreaterThan(15);
    for (const t of tables()) {
      const cfg = getTableConfig(t);
      for (const c of cfg.columns) {
        all.add(`${cfg.name}.${c.name}`);
        if (c.getSQLType() === "blob") blobs.add(`${cfg.name}.${c.name}`);
      }
    }
    const listed = Object.entries(schema.SEALED_COLUMNS).flatMap(([t, cols]) => cols.map((c) => `${t}.${c}`));
    for (const name of listed) expect(all.has(name) ? name : `${name} (no such column)`).toBe(name);
    const unaccounted = [...blobs].filter((b) => !listed.includes(b) && !NOT_SEALED_BLOBS.has(b));
    expect(unaccounted).toEqual([]);
  });

  test("a canary written through the real services into each listed column never reaches the disk in clear", async () => {
    inst = makeInstallation();
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist");
    const canary = (column: string) => `CANARY-${column}-${crypto.randomUUID().slice(0, 8)}`;
    const written = new Map<string, string[]>(); // "table.column" → the clear values written there

    // A webhook endpoint allowed personal data: the client created below is named in its delivery's payload.
    const hookUrl = `http://127.0.0.1:9/${canary("webhook_endpoints.url")}`;
    const hook = await createEndpoint(inst, { url: hookUrl, events: ["client.created"], personalData: true, internalHost: "127.0.0.1" }, admin.personId);
    if (!hook.ok) throw new Error(`webhook endpoint refused: ${hook.reason}`);
    written.set("webhook_endpoints.url", [hookUrl]);
    written.set("webhook_endpoints.secret", [hook.secret, hook.secret.slice("whsec_".length)]);
    const person = { email: `${canary("people.email")}@example.org`.toLowerCase(), name: canary("people.name"), phone: canary("people.phone") };
    written.set("webhook_deliveries.payload", [person.name, person.email]);
    const client = createPerson(inst, { role: "client", ...person }, admin.personId)!;
    written.set("people.email", [person.email]);
    written.set("people.name", [person.name]);
    written.set("people.phone", [person.phone]);

    // totp_pending while enrolling; totp_secret is the admin's confirmed one (from setup)
    const { secret } = startTOTPEnrolment(inst, specialist.personId);
    written.set("accounts.totp_pending", [secret]);
    written.set("accounts.totp_secret", [admin.totpSecret!, specialist.totpSecret!]);

    const { room, inviteToken } = createRoom(inst, specialist.personId, inst.clock.now(), { label: "Family session Petrova" });
    written.set("rooms.invite", [inviteToken]);
    written.set("rooms.label", ["Family session Petrova"]);
    const said = canary("room_messages.body");
    postChatMessage(inst, room.id, specialist.personId, said);
    written.set("room_messages.body", [said]);
    const fileName = `${canary("room_files.name")}.txt`;
    const stored = await storeRoomFile({ ...inst, filesDir: join(inst.config.dataDir, "files"), maxBytes: 1024, roomQuotaBytes: 1 << 20 }, room.id, specialist.personId, fileName, new TextEncoder().encode("hello"));
    expect(stored.ok).toBe(true);
    written.set("room_files.name", [fileName]);

    const service = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 });
    setHours(inst, specialist.personId, everyDay("UTC"));
    const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(3), "10:00"), clientId: client.id, actor: { personId: specialist.personId, role: "specialist" } }, inst.clock.now());
    if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
    // A second appointment, kept: a cancelled one puts no one in the client's care (the note below needs the care).
    expect(book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(4), "10:00"), clientId: client.id, actor: { personId: specialist.personId, role: "specialist" } }, inst.clock.now()).ok).toBe(true);
    const reason = canary("appointments.cancel_reason");
    expect(cancelAppointment(inst, booked.appointments[0]!.id, { personId: specialist.personId, role: "specialist" }, reason, inst.clock.now()).ok).toBe(true);
    written.set("appointments.cancel_reason", [reason]);

    const noteText = canary("client_note_versions.body");
    const note = createNote(inst, { personId: specialist.personId, role: "specialist" }, { clientId: client.id, text: noteText }, inst.clock.now());
    if (!note.ok) throw new Error(`note failed: ${note.reason}`);
    written.set("client_note_versions.body", [noteText]);
    const draft = canary("client_notes.draft");
    expect(saveNoteDraft(inst, { personId: specialist.personId, role: "specialist" }, client.id, note.note.id, draft, 1, inst.clock.now()).ok).toBe(true);
    written.set("client_notes.draft", [draft]);

    const payload = canary("jobs.payload");
    inst.db.transaction((tx) => enqueue(tx, inst.vault, { kind: "canary", dedupeKey: "canary", subject: client.id, payload: { text: payload }, runAt: inst.clock.now() + 3_600_000 }, inst.clock.now()));
    written.set("jobs.payload", [payload]);

    const feedToken = createFeed(inst, specialist.personId, inst.clock.now());
    written.set("calendar_feeds.token", [feedToken]);

    const requestNote = canary("privacy_requests.note");
    const filed = fileRequest(inst, { personId: client.id, kind: "access", law: "gdpr", channel: "account", receivedAt: inst.clock.now(), note: requestNote }, client.id);
    if (!filed.ok) throw new Error(`request failed: ${filed.reason}`);
    written.set("privacy_requests.note", [requestNote]);
    const requestOutcome = canary("privacy_requests.outcome");
    expect(closeRequest(inst, filed.request.id, { status: "done", text: requestOutcome }, admin.personId, inst.clock.now()).ok).toBe(true);
    written.set("privacy_requests.outcome", [requestOutcome]);

    const now = inst.clock.now();
    saveIntakeForm(inst, service.id, { active: true, fields: [{ id: "reason", kind: "short-text", label: { en: "What brings you here?", ru: "Что вас привело?" }, options: [], required: true }] }, admin.personId, now);
    consentToHealthData(inst, client.id);
    const intakeBooked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(5), "10:00"), clientId: client.id, actor: { personId: specialist.personId, role: "specialist" } }, now);
    if (!intakeBooked.ok) throw new Error(`booking failed: ${intakeBooked.reason}`);
    const answer = canary("intake_responses.answers");
    expect(submitIntake(inst, intakeBooked.appointments[0]!.id, { personId: client.id, role: "client" }, { "q.reason": answer }, now).ok).toBe(true);
    written.set("intake_responses.answers", [answer]);
    const holdReason = canary("legal_holds.reason");
    written.set("legal_holds.reason", [holdReason]);
    expect(placeHold(inst, client.id, { recordType: "notes", reason: holdReason, until: null }, admin.personId).ok).toBe(true);
    const grantReason = canary("break_glass_grants.reason");
    expect(breakGlass(inst, { personId: admin.personId, role: "admin" }, client.id, grantReason, now).ok).toBe(true);
    written.set("break_glass_grants.reason", [grantReason]);
    const incident = { title: canary("incidents.title"), description: canary("incidents.description"), others: canary("incidents.affected") };
    recordIncident(inst, { ...incident, affectedIds: [client.id], affectedCount: 41, occurredAt: null, discoveredAt: now }, admin.personId, now);
    written.set("incidents.title", [incident.title]);
    written.set("incidents.description", [incident.description]);
    written.set("incidents.affected", [incident.others]); // beside the affected clients' ids
    const uploaded = { name: canary("csv_imports.content.name"), email: `${canary("csv_imports.content")}@example.org` };
    expect(storeUpload(inst, "clients", new TextEncoder().encode(`name,email\n${uploaded.name},${uploaded.email}\n`), { personId: admin.personId, role: "admin" }).ok).toBe(true);
    written.set("csv_imports.content", [uploaded.name, uploaded.email]); // a CSV waiting for its preview to be confirmed

    // An API POST's answer kept under its Idempotency-Key (the real middleware; the probe stands in for a POST route).
    const apiToken = createToken(inst, { personId: specialist.personId, name: "Bridge", scopes: ["appointments:write"], expiresAt: now + 86_400_000 }, specialist.personId);
    if (!apiToken.ok) throw new Error(apiToken.reason);
    const kept = canary("api_idempotency.response");
    expect((await idempotencyProbe(inst).post(apiToken.secret, "canary", { kept })).status).toBe(201);
    written.set("api_idempotency.response", [kept]);

    // Every listed column was written by the steps above, so the search below covers all of them.
    const listed = Object.entries(schema.SEALED_COLUMNS).flatMap(([t, cols]) => cols.map((c) => `${t}.${c}`));
    expect([...written.keys()].sort()).toEqual(listed.sort());
    for (const name of listed) {
      const [table, column] = name.split(".") as [string, string];
      expect(rawColumn(table, column).some((v) => v !== null && v.length > 0)).toBe(true);
    }

    const check = (bytes: Buffer, when: string) => {
      for (const [column, values] of written) {
        for (const v of values) {
          for (const needle of [Buffer.from(v, "utf8"), Buffer.from(v, "utf16le")]) {
            expect(bytes.includes(needle) ? `${column} in clear ${when}` : "sealed").toBe("sealed");
          }
        }
      }
    };
    check(diskBytes(), "in the WAL");
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    check(diskBytes(), "in the database file");
  });
});
