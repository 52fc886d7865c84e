// Sealed backups and restore through the real CLI (`kabinet backup`, `kabinet restore`), on an installation whose
// every table was filled through the real services: the restore brings back every row and every sealed file byte for
// byte; a backup under another master key, altered or cut short changes nothing; --force keeps the old database aside.
import { applyUpdate, holdForPayment } from "../src/payments/payments.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { fileRequest } from "../src/privacy/requests.ts";
import { sendEmailCode } from "../src/accounts/email-codes.ts";
import { passwordKeys, recordFailure } from "../src/accounts/throttle.ts";
import { startTOTPEnrolment } from "../src/accounts/two-factor.ts";
import { saveConsentText } from "../src/consent/consent.ts";
import { giveConsent } from "../src/consent/ledger.ts";
import { recordAudit } from "../src/audit/audit.ts";
import { recordIncident } from "../src/accountability/incidents.ts";
import { storeUpload } from "../src/imports/imports.ts";
import { scanAuditForAnomalies } from "../src/anomalies/anomalies.ts";
import { book, cancelAppointment } from "../src/booking/appointments.ts";
import { createFeed } from "../src/booking/feeds.ts";
import { parseMasterKey } from "../src/crypto/master-key.ts";
import { enqueue } from "../src/jobs/queue.ts";
import { lockDataDir } from "../src/ops/data-dir-lock.ts";
import { placeHold, restrictProcessing } from "../src/retention/holds.ts";
import { createPerson } from "../src/people/people.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { storeRoomFile } from "../src/rooms/files.ts";
import { createRoom, recordAdmission } from "../src/rooms/rooms.ts";
import { createNote, saveNoteDraft } from "../src/records/notes.ts";
import { saveIntakeForm, submitIntake } from "../src/intake/intake.ts";
import { addSupervision, breakGlass } from "../src/records/care.ts";
import { createToken } from "../src/api/tokens.ts";
import { attemptDelivery } from "../src/webhooks/deliver.ts";
import { listDeliveries } from "../src/webhooks/deliveries.ts";
import { createEndpoint } from "../src/webhooks/endpoints.ts";
import { addPerson, setUpOrganisation } from "./support/accounts.ts";
import { idempotencyProbe } from "./support/api.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, runCli, type TestInstallation, tempDir, writeKeyFile } from "./support/installation.ts";

let inst: TestInstallation;
let backupFile: string;
/** Every table's rows (and every sealed file) as they were when the backup was made. */
let before: { tables: Record<string, unknown[]>; files: Record<string, string> };

function dump(dataDir: string): { tables: Record<string, unknown[]>; files: Record<string, string> } {
  const db = new Database(join(dataDir, "kabinet.db"), { readonly: true });
  try {
    const names = (db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    const tables = Object.fromEntries(names.map((n) => [n, db.query(`SELECT * FROM "${n}" ORDER BY rowid`).all()]));
    const filesDir = join(dataDir, "files");
    const files = Object.fromEntries(readdirSync(filesDir).map((f) => [f, readFileSync(join(filesDir, f)).toString("base64")]));
    return { tables, files };
  } finally {
    db.close();
  }
}

function keyId(path: string): string {
  const k = parseMasterKey(readFileSync(path, "utf8"));
  if (!k.ok) throw new Error(k.problem);
  return k.value.id;
}

/** Each table filled through the service that writes it; the few a short test cannot reach, directly. */
async function fillEveryTable(i: TestInstallation): Promise<void> {
  const admin = await setUpOrganisation(i);
  const specialist = await addPerson(i, admin.personId, "specialist");
  // A webhook endpoint (nothing listens on port 9): the client's creation and the bookings queue deliveries to it.
  const hook = await createEndpoint(i, { url: "http://127.0.0.1:9/hook", events: ["client.created", "appointment.booked"], personalData: true, internalHost: "127.0.0.1" }, admin.personId);
  if (!hook.ok) throw new Error(`webhook endpoint refused: ${hook.reason}`);
  const client = createPerson(i, { role: "client", email: "anna@example.org", name: "Anna Petrova", phone: "+7 900 000 00 00" }, admin.personId)!;
  await attemptDelivery(i, listDeliveries(i.db, hook.endpoint.id)[0]!.id); // one attempt, refused: a row in webhook_attempts
  startTOTPEnrolment(i, specialist.personId);
  const { room } = createRoom(i, specialist.personId, i.clock.now(), { label: "Family session", guests: [client.id] });
  recordAdmission(i, room.id, client.id);
  postChatMessage(i, room.id, specialist.personId, "Hello");
  const filesDir = join(i.config.dataDir, "files");
  for (const [name, size] of [
    ["notes.txt", 5],
    ["big.txt", 2_500_000],
  ] as const) {
    const bytes = new Uint8Array(size).map((_, n) => 0x61 + (n % 26));
    const stored = await storeRoomFile({ ...i, filesDir, maxBytes: 4 << 20, roomQuotaBytes: 8 << 20 }, room.id, specialist.personId, name, bytes);
    expect(stored.ok).toBe(true);
  }
  const service = makeService(i, admin.personId, [specialist.personId], { cancelHours: 0 });
  setHours(i, specialist.personId, everyDay("UTC"));
  const actor = { personId: specialist.personId, role: "specialist" as const };
  const booked = book(i, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(3), "10:00"), clientId: client.id, actor }, i.clock.now());
  if (!booked.ok) throw new Error(`booking failed: ${booked.reason}`);
  book(i, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(4), "10:00"), clientId: client.id, actor }, i.clock.now());
  cancelAppointment(i, booked.appointments[0]!.id, actor, "Ill", i.clock.now());
  const note = createNote(i, actor, { clientId: client.id, text: "# Session\n- sleeps better", appointmentId: booked.appointments[0]!.id }, i.clock.now());
  if (!note.ok) throw new Error(`note failed: ${note.reason}`);
  saveNoteDraft(i, actor, client.id, note.note.id, "Draft in progress", 1, i.clock.now());
  i.db.transaction((tx) => enqueue(tx, i.vault, { kind: "note", dedupeKey: "note", subject: client.id, payload: { text: "x" }, runAt: i.clock.now() + 3_600_000 }, i.clock.now()));
  createFeed(i, specialist.personId, i.clock.now());
  saveConsentText(i.db, i.vault, "processing", { required: true, textEn: "I agree to the processing of my data.", textRu: "Я согласен на обработку моих данных." }, admin.personId, i.clock.now());
  saveConsentText(i.db, i.vault, "health-data", { textEn: "Health data", textRu: "Данные о здоровье" }, admin.personId, i.clock.now());
  i.db.transaction((tx) => giveConsent(tx, i.vault, { personId: client.id, purpose: "health-data", method: "account", recordedBy: client.id }, i.clock.now()));
  i.db.transaction((tx) => sendEmailCode(i, tx, client.id, "sign-in", i.clock.now()));
  recordFailure(i.db, passwordKeys("someone", "192.0.2.1", null), i.clock.now());
  expect(fileRequest(i, { personId: client.id, kind: "access", law: "gdpr", channel: "account", receivedAt: i.clock.now(), note: "A copy of my data" }, client.id).ok).toBe(true);
  const now = i.clock.now();
  saveIntakeForm(i, service.id, { active: true, fields: [{ id: "reason", kind: "short-text", label: { en: "What brings you here?", ru: "Что вас привело?" }, options: [], required: true }] }, admin.personId, now);
  const intakeBooked = book(i, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(5), "10:00"), clientId: client.id, actor }, now);
  if (!intakeBooked.ok) throw new Error(`booking failed: ${intakeBooked.reason}`);
  const answered = submitIntake(i, intakeBooked.appointments[0]!.id, { personId: client.id, role: "client" }, { "q.reason": "Sleeps badly" }, now);
  if (!answered.ok) throw new Error(`intake failed: ${answered.reason}`);
  // A time held for its payment (as when payments are on), and a provider notification, applied once.
  const paymentsOn = { ...i.config, payments: { provider: "stripe" as const, secretKey: "sk_test", webhookSecret: "whsec_test", holdMinutes: 30, apiUrl: null } };
  const held = book(i, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(6), "10:00"), clientId: client.id, actor, alsoInTransaction: (tx, b) => void holdForPayment(tx, { vault: i.vault, config: paymentsOn }, service, b, now) }, now);
  if (!held.ok) throw new Error(`booking failed: ${held.reason}`);
  applyUpdate(i, "stripe", { eventId: "evt_fill", ref: "cs_fill", status: "paid" });
  expect(placeHold(i, client.id, { recordType: "notes", reason: "Medical records law", until: null }, admin.personId).ok).toBe(true);
  expect(restrictProcessing(i, client.id, "legal-hold", admin.personId)).toBe(true);
  // A break-glass access by the admin raises a security alert at once.
  expect(breakGlass(i, { personId: admin.personId, role: "admin" }, client.id, "Emergency: the treating specialist is away", now).ok).toBe(true);
  expect(addSupervision(i, admin.personId, specialist.personId, admin.personId, now)).toBe("ok");
  recordIncident(i, { title: "Lost laptop", description: "Left on a train", affectedIds: [client.id], others: "", affectedCount: 1, occurredAt: null, discoveredAt: now }, admin.personId, now);
  const apiToken = createToken(i, { personId: specialist.personId, name: "Clinic CRM", scopes: ["appointments:read", "appointments:write"], expiresAt: now + 90 * 86_400_000 }, specialist.personId);
  if (!apiToken.ok) throw new Error(apiToken.reason);
  expect((await idempotencyProbe(i).post(apiToken.secret, "fill", { start: "10:00" })).status).toBe(201); // api_idempotency
  // A CSV import waiting for its preview to be confirmed (sealed under the organisation's key).
  expect(storeUpload(i, "clients", new TextEncoder().encode("name,email\nBoris Import,boris@example.org\n"), { personId: admin.personId, role: "admin" }).ok).toBe(true);
  i.db.transaction((tx) => recordAudit(tx, i.vault, { actor: "cli", action: "test.fill" }));
  // The break-glass alert is there already; the scan may add an off-hours one (by the time of day the test runs).
  scanAuditForAnomalies(i, { sliceMs: Infinity });
  expect((i.db.$client.query("SELECT count(*) AS n FROM anomaly_alerts WHERE rule = 'break-glass'").get() as { n: number }).n).toBe(1);
  i.auditHead.checkAndRecord(i.clock.now());
}

beforeAll(async () => {
  // An SMTP server is configured (never reached: no worker runs) so that an email code can be sent.
  inst = makeInstallation({ KABINET_SMTP_URL: "smtp://127.0.0.1:9" });
  await fillEveryTable(inst);
  before = dump(inst.config.dataDir);
  const r = runCli(["backup"], inst.env); // beside the open installation, as beside a running server
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const names = readdirSync(inst.config.backup.dir).filter((n) => n.endsWith(".kbk"));
  expect(names).toHaveLength(1);
  backupFile = join(inst.config.backup.dir, names[0]!);
}, 60_000);
afterAll(() => inst.close());

/** A fresh data dir with the same master key (or another one). */
function freshEnv(keyFile = inst.keyFile): Record<string, string> {
  const dir = tempDir();
  return { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: keyFile, KABINET_BACKUP_DIR: join(dir, "backups") };
}

describe("kabinet backup and restore", () => {
  test("every table was filled before the backup", () => {
    const empty = Object.entries(before.tables).filter(([, rows]) => rows.length === 0).map(([n]) => n);
    expect(empty).toEqual([]);
    expect(Object.keys(before.files)).toHaveLength(2);
  });

  test("restore into a fresh data dir brings back every row of every table and every sealed file byte for byte", () => {
    const env = freshEnv();
    const r = runCli(["restore", backupFile], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("integrity_check: ok");
    expect(r.stdout).toMatch(/audit log: \d+ entries, chain intact/);
    expect(r.stdout).toMatch(/people\s+3\n/);
    const after = dump(env.KABINET_DATA_DIR!);
    expect(Object.keys(after.tables).sort()).toEqual(Object.keys(before.tables).sort());
    for (const table of Object.keys(before.tables)) expect({ table, rows: after.tables[table] }).toEqual({ table, rows: before.tables[table]! });
    expect(after.files).toEqual(before.files);
    // The restored installation opens and its audit log verifies with the recorded head it came with.
    const verify = runCli(["audit", "verify"], env);
    expect(verify.stdout).toContain("chain intact");
    expect(verify.code).toBe(0);
  });

  test("a backup sealed under another master key is refused, naming both keys; the old key as KABINET_PREVIOUS_MASTER_KEY_FILE is accepted", () => {
    const other = writeKeyFile(tempDir(), "other.key");
    const env = freshEnv(other);
    const r = runCli(["restore", backupFile], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`was sealed under master key ${keyId(inst.keyFile)}, but the configured key is ${keyId(other)}`);
    expect(r.stderr).toContain("KABINET_PREVIOUS_MASTER_KEY_FILE");
    expect(existsSync(join(env.KABINET_DATA_DIR!, "kabinet.db"))).toBe(false);
    const withPrevious = runCli(["restore", backupFile], { ...env, KABINET_PREVIOUS_MASTER_KEY_FILE: inst.keyFile });
    expect(withPrevious.stderr).toBe("");
    expect(withPrevious.code).toBe(0);
    // The next start re-wraps the restored data keys under the current key, as after an unfinished rotation.
    expect(runCli(["migrate"], { ...env, KABINET_PREVIOUS_MASTER_KEY_FILE: inst.keyFile }).code).toBe(0);
  });

  test("an altered, cut short, extended or reordered backup is refused and nothing is written", () => {
    const good = readFileSync(backupFile);
    const firstChunk = 8 + 4 + good.readUInt32BE(8);
    const firstLength = good.readUInt32BE(firstChunk);
    const secondChunk = firstChunk + 4 + firstLength;
    const secondLength = good.readUInt32BE(secondChunk);
    const flip = (at: number) => {
      const b = Buffer.from(good);
      b[at] = b[at]! ^ 1;
      return b;
    };
    const variants: Record<string, Buffer> = {
      "a byte inside the sealed content": flip(Math.floor(good.length / 2)),
      "a byte of the header (created-at)": (() => {
        const b = Buffer.from(good);
        const header = b.subarray(12, firstChunk).toString();
        b.write(header.replace(/"createdAt":(\d)/, (_, d: string) => `"createdAt":${(Number(d) + 1) % 10}`), 12);
        return b;
      })(),
      "cut short at a chunk boundary": good.subarray(0, secondChunk),
      "cut short inside a chunk": good.subarray(0, good.length - 100),
      "bytes appended": Buffer.concat([good, Buffer.from([0, 0, 0, 0])]),
      "two chunks swapped": Buffer.concat([
        good.subarray(0, firstChunk),
        good.subarray(secondChunk, secondChunk + 4 + secondLength),
        good.subarray(firstChunk, secondChunk),
        good.subarray(secondChunk + 4 + secondLength),
      ]),
      "not a backup": Buffer.from("hello"),
    };
    const dir = tempDir();
    for (const [what, bytes] of Object.entries(variants)) {
      const path = join(dir, "bad.kbk");
      writeFileSync(path, bytes);
      const env = freshEnv();
      const r = runCli(["restore", path], env);
      expect({ what, code: r.code }).toEqual({ what, code: 1 });
      expect(r.stderr).toMatch(/^kabinet: .*bad\.kbk does not open: .*Nothing was changed\n$/);
      expect(existsSync(join(env.KABINET_DATA_DIR!, "kabinet.db"))).toBe(false);
      expect(readdirSync(env.KABINET_DATA_DIR!).filter((n) => n.startsWith("restore-"))).toEqual([]);
    }
  });

  test("restore refuses to replace a database without --force; with it the old one is kept aside, not deleted", () => {
    const env = freshEnv();
    const other = makeInstallation({ KABINET_DATA_DIR: env.KABINET_DATA_DIR!, KABINET_MASTER_KEY_FILE: inst.keyFile });
    createPerson(other, { role: "client", email: "old@example.org", name: "Old Person" }, "cli");
    other.db.$client.close();
    const refused = runCli(["restore", backupFile], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("already holds a database: restore refuses to replace it. Add --force");
    const forced = runCli(["restore", backupFile, "--force"], env);
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    const aside = readdirSync(env.KABINET_DATA_DIR!).filter((n) => n.startsWith("kabinet.db.before-restore-"));
    expect(aside).toHaveLength(1);
    expect(forced.stdout).toContain(`kept as ${join(env.KABINET_DATA_DIR!, aside[0]!)}`);
    const old = new Database(join(env.KABINET_DATA_DIR!, aside[0]!), { readonly: true });
    expect((old.query("SELECT count(*) AS n FROM people").get() as { n: number }).n).toBe(1);
    old.close();
    expect(dump(env.KABINET_DATA_DIR!).tables.people).toEqual(before.tables.people!);
  });

  test("restore refuses while a server holds the data dir, and says to stop it", () => {
    const env = freshEnv();
    mkdirSync(env.KABINET_DATA_DIR!, { recursive: true });
    const lock = lockDataDir(env.KABINET_DATA_DIR!)!;
    try {
      const r = runCli(["restore", backupFile], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("a Kabinet server is running on KABINET_DATA_DIR");
      expect(r.stderr).toContain("stop it first");
    } finally {
      lock.release();
    }
  });

  test("usage: restore without a file exits 2 with the usage", () => {
    const r = runCli(["restore"], freshEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("restore needs the backup file");
    expect(r.stderr).toContain("restore FILE [--force]");
    expect(runCli(["restore", "/nonexistent.kbk"], freshEnv()).stderr).toBe("kabinet: /nonexistent.kbk does not exist\n");
  });
});
