// Erasure by crypto-shredding (src/privacy): a client's canary in a sealed column, a chat message and a sealed room
// file opens before, and nowhere after: not in the live installation, not in the database or WAL bytes, not in a
// backup made before the erasure once restored beside the current shredded list, not in a database copied back
// without `kabinet restore` (shredded at start).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runDrill } from "../src/backup/drill.ts";
import { restoreInto } from "../src/backup/restore.ts";
import { loadConfig } from "../src/config.ts";
import { openInstallation } from "../src/installation.ts";
import { createLogger } from "../src/log.ts";
import { enqueue } from "../src/jobs/queue.ts";
import { createPerson, getPerson } from "../src/people/people.ts";
import { eraseClient, isErased, mayErase } from "../src/privacy/erasure.ts";
import { readShreddedList, shreddedListPath } from "../src/privacy/shredded-list.ts";
import { listChatMessages, postChatMessage } from "../src/rooms/chat.ts";
import { listRoomFiles, readRoomFile, storeRoomFile } from "../src/rooms/files.ts";
import { createRoom } from "../src/rooms/rooms.ts";
import { SealedValueError } from "../src/vault/vault.ts";
import { addPerson, cookieFor, setUpOrganisation } from "./support/accounts.ts";
import { makeInstallation, runCli, type TestInstallation, tempDir } from "./support/installation.ts";

const CANARY = "canary-Zhmurkin-4471";
let inst: TestInstallation;
let clientId: string;
let specialistId: string;
let adminId: string;
let roomId: string;
let fileId: string;
let wrappedKey: Buffer;
let backupFile: string;

const fileDeps = (i: TestInstallation) => ({ ...i, filesDir: join(i.config.dataDir, "files"), maxBytes: 1 << 20, roomQuotaBytes: 4 << 20 });

function diskBytes(dataDir: string): Buffer {
  return Buffer.concat(["kabinet.db", "kabinet.db-wal"].map((f) => join(dataDir, f)).filter(existsSync).map((f) => readFileSync(f)));
}

function storedKey(dbPath: string, subject: string): Buffer | null {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.query("SELECT wrapped FROM data_keys WHERE subject = ?").get(subject) as { wrapped: Buffer | null } | null)?.wrapped ?? null;
  } finally {
    db.close();
  }
}

/** Whether the canary opens anywhere in this installation: false only when every sealed place refuses. */
async function canaryOpens(i: { db: TestInstallation["db"]; vault: TestInstallation["vault"]; clock: TestInstallation["clock"]; config: TestInstallation["config"] }): Promise<boolean[]> {
  const attempt = async (f: () => unknown | Promise<unknown>): Promise<boolean> => {
    try {
      const v = await f();
      return v !== null && JSON.stringify(v).includes(CANARY);
    } catch (err) {
      if (err instanceof SealedValueError) return false;
      throw err;
    }
  };
  const deps = { ...i, filesDir: join(i.config.dataDir, "files"), maxBytes: 1 << 20, roomQuotaBytes: 4 << 20 };
  return [
    await attempt(() => getPerson(i, clientId)),
    await attempt(() => listChatMessages(i, roomId).map((m) => m.text)),
    await attempt(async () => {
      const read = await readRoomFile(deps, roomId, fileId, specialistId);
      return read ? new TextDecoder().decode(read.bytes) : null;
    }),
  ];
}

beforeAll(async () => {
  inst = makeInstallation();
  const admin = await setUpOrganisation(inst);
  adminId = admin.personId;
  specialistId = (await addPerson(inst, adminId, "specialist")).personId;
  clientId = createPerson(inst, { role: "client", email: "erase-me@example.org", name: CANARY, phone: "+7 900 111 22 33" }, adminId)!.id;
  cookieFor(inst, clientId); // a live session, which erasure must end
  // A mail still queued for them, which erasure must cancel.
  inst.db.transaction((tx) => enqueue(tx, inst.vault, { kind: "note", dedupeKey: "erasure-test", subject: clientId, payload: { text: CANARY }, runAt: inst.clock.now() + 3_600_000 }, inst.clock.now()));
  roomId = createRoom(inst, specialistId, inst.clock.now(), { subject: clientId, guests: [clientId] }).room.id;
  postChatMessage(inst, roomId, specialistId, `about ${CANARY}`);
  const stored = await storeRoomFile(fileDeps(inst), roomId, specialistId, "notes.txt", new TextEncoder().encode(`file ${CANARY}`));
  if (!stored.ok) throw new Error("upload failed");
  fileId = stored.file.id;
  wrappedKey = storedKey(join(inst.config.dataDir, "kabinet.db"), clientId)!;
  inst.auditHead.checkAndRecord(inst.clock.now());
  const r = runCli(["backup"], inst.env);
  expect(r.code).toBe(0);
  backupFile = join(inst.config.backup.dir, readdirSync(inst.config.backup.dir).find((n) => n.endsWith(".kbk"))!);
}, 60_000);
const dirs: string[] = [];
afterAll(() => {
  inst.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("erasure by crypto-shredding", () => {
  test("only a client may be erased, with the reason", () => {
    expect(mayErase(inst.db, specialistId, inst.clock.now())).toMatchObject({ ok: false, block: "not-a-client" });
    expect(mayErase(inst.db, adminId, inst.clock.now())).toMatchObject({ ok: false, block: "not-a-client" });
    expect(mayErase(inst.db, "no-such-id", inst.clock.now())).toMatchObject({ ok: false, block: "not-found" });
    expect(mayErase(inst.db, clientId, inst.clock.now())).toEqual({ ok: true });
    expect(eraseClient({ ...inst, dataDir: inst.config.dataDir }, specialistId, adminId)).toMatchObject({ ok: false, block: "not-a-client" });
  });

  test("the canary opens before; after erasure it opens nowhere, and the wrapped key is gone from the db and WAL bytes", async () => {
    expect(await canaryOpens(inst)).toEqual([true, true, true]);
    expect(wrappedKey.length).toBeGreaterThan(32);
    expect(diskBytes(inst.config.dataDir).includes(wrappedKey)).toBe(true); // the search can find it

    const sealedChat = inst.db.$client.query("SELECT id, body FROM room_messages WHERE room_id = ?").get(roomId) as { id: number; body: Uint8Array };
    const { name: sealedName } = inst.db.$client.query("SELECT name FROM people WHERE id = ?").get(clientId) as { name: Uint8Array };
    expect(inst.vault.openField(clientId, "room_messages", "body", String(sealedChat.id), sealedChat.body)).toContain(CANARY);
    const result = eraseClient({ ...inst, dataDir: inst.config.dataDir }, clientId, adminId);
    if (!result.ok) throw new Error(result.reason);
    console.log(`erasure transaction: ${result.ms.toFixed(1)} ms; WAL emptied: ${result.walEmptied}`);
    expect(result.ms).toBeLessThan(500); // target 100 ms; the bound leaves room for a loaded CI machine
    expect(result.sessionsEnded).toBe(1);
    expect(result.walEmptied).toBe(true);

    expect(await canaryOpens(inst)).toEqual([false, false, false]);
    // The pages list nothing for the erased client's room (no error page); the stored ciphertext itself no longer opens.
    expect(listChatMessages(inst, roomId)).toEqual([]);
    expect(listRoomFiles(inst, roomId)).toEqual([]);
    expect(await readRoomFile(fileDeps(inst), roomId, fileId, specialistId)).toBeNull();
    expect(() => inst.vault.openField(clientId, "room_messages", "body", String(sealedChat.id), sealedChat.body)).toThrow(SealedValueError);
    expect(() => inst.vault.openFile(clientId, fileId, readFileSync(join(inst.config.dataDir, "files", fileId)))).toThrow(SealedValueError);
    expect(() => inst.vault.openField(clientId, "people", "name", clientId, sealedName)).toThrow(SealedValueError);
    expect(isErased(inst.db, clientId)).toBe(true);
    expect(getPerson(inst, clientId)).toMatchObject({ id: clientId, role: "client", name: "", email: "", erased: true });
    expect(inst.db.$client.query("SELECT status FROM jobs WHERE subject = ?").all(clientId)).toEqual([{ status: "cancelled" }]);
    expect(mayErase(inst.db, clientId, inst.clock.now())).toMatchObject({ ok: false, block: "already-erased" });
    expect(diskBytes(inst.config.dataDir).includes(wrappedKey)).toBe(false);
    expect(readShreddedList(inst.config.dataDir)).toEqual([clientId]);
    expect(inst.db.$client.query("SELECT count(*) AS n FROM sessions WHERE person_id = ?").get(clientId)).toEqual({ n: 0 });
    expect(inst.db.$client.query("SELECT status FROM accounts WHERE person_id = ?").get(clientId) ?? { status: "deactivated" }).toEqual({ status: "deactivated" });
    // Another process opening the installation (no cached key) cannot open it either.
    const other = openInstallation(loadConfig(inst.env), createLogger("error", () => {}), { purpose: "inspect", migrate: false });
    try {
      expect(await canaryOpens({ ...other, clock: inst.clock })).toEqual([false, false, false]);
    } finally {
      other.db.$client.close();
    }
  });

  test("the audit log holds person.erase, with no data, and still verifies", () => {
    const row = inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = 'person.erase'").get() as { actor: string; target: string; details: string };
    expect(row).toMatchObject({ actor: adminId, target: clientId });
    expect(String(row.details)).not.toContain(CANARY);
    const r = runCli(["audit", "verify"], inst.env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("a backup made before the erasure, restored beside the current shredded list, does not open the canary", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: inst.keyFile, KABINET_BACKUP_DIR: join(dir, "backups") };
    mkdirSync(env.KABINET_DATA_DIR, { recursive: true, mode: 0o700 });
    copyFileSync(shreddedListPath(inst.config.dataDir), shreddedListPath(env.KABINET_DATA_DIR));
    const r = runCli(["restore", backupFile], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(storedKey(join(env.KABINET_DATA_DIR, "kabinet.db"), clientId)).toBeNull();
    expect(diskBytes(env.KABINET_DATA_DIR).includes(wrappedKey)).toBe(false);
    const restored = openInstallation(loadConfig(env), createLogger("error", () => {}), { purpose: "inspect", migrate: false });
    try {
      expect(await canaryOpens({ ...restored, clock: inst.clock })).toEqual([false, false, false]);
    } finally {
      restored.db.$client.close();
    }
  });

  test("restoreInto reports how many keys it destroyed, and whether there was a list at all", async () => {
    const run = async (withList: boolean) => {
      const dir = tempDir();
      dirs.push(dir);
      const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: inst.keyFile, KABINET_BACKUP_DIR: join(dir, "backups") };
      mkdirSync(env.KABINET_DATA_DIR, { recursive: true, mode: 0o700 });
      if (withList) copyFileSync(shreddedListPath(inst.config.dataDir), shreddedListPath(env.KABINET_DATA_DIR));
      const r = await restoreInto(loadConfig(env), backupFile, { force: false, now: inst.clock.now() });
      return { shredded: r.check.shredded, found: r.shreddedListFound };
    };
    expect(await run(true)).toEqual({ shredded: 1, found: true });
    expect(await run(false)).toEqual({ shredded: 0, found: false });
  });

  test("the restore drill of the backup made before the erasure passes (the keys destroyed in its scratch copy)", async () => {
    const run = await runDrill(inst);
    expect(run.problem).toBeNull();
    expect(run.ok).toBe(true);
  });

  test("a database copied back without `kabinet restore` is shredded at the next start", async () => {
    // Restored without the list (the control: the canary opens there), then the list arrives and the server starts.
    const dir = tempDir();
    dirs.push(dir);
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: inst.keyFile, KABINET_BACKUP_DIR: join(dir, "backups") };
    expect(runCli(["restore", backupFile], env).code).toBe(0);
    const dbPath = join(env.KABINET_DATA_DIR, "kabinet.db");
    expect(storedKey(dbPath, clientId)).toEqual(wrappedKey);
    const inspect = openInstallation(loadConfig(env), createLogger("error", () => {}), { purpose: "inspect", migrate: false });
    try {
      expect(await canaryOpens({ ...inspect, clock: inst.clock })).toEqual([true, true, true]);
    } finally {
      inspect.db.$client.close();
    }
    copyFileSync(shreddedListPath(inst.config.dataDir), shreddedListPath(env.KABINET_DATA_DIR));
    const logs: string[] = [];
    const started = openInstallation(loadConfig(env), createLogger("info", (l) => logs.push(l)));
    try {
      expect(logs.join("")).toContain("destroyed data keys of erased clients");
      expect(await canaryOpens({ ...started, clock: inst.clock })).toEqual([false, false, false]);
    } finally {
      started.db.$client.close();
    }
    expect(storedKey(dbPath, clientId)).toBeNull();
    expect(diskBytes(env.KABINET_DATA_DIR).includes(wrappedKey)).toBe(false);
    // Idempotent: the next start finds nothing more to destroy.
    const again: string[] = [];
    openInstallation(loadConfig(env), createLogger("info", (l) => again.push(l))).db.$client.close();
    expect(again.join("")).not.toContain("destroyed data keys");
    expect(again.join("")).not.toContain("lacked");
  });

  test("a lost list is rebuilt at start from the keys the database has destroyed", () => {
    const dir = tempDir();
    dirs.push(dir);
    const dataDir = join(dir, "data");
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // The current database (after the erasure) moved without its list.
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    copyFileSync(join(inst.config.dataDir, "kabinet.db"), join(dataDir, "kabinet.db"));
    const env = { KABINET_DATA_DIR: dataDir, KABINET_MASTER_KEY_FILE: inst.keyFile, KABINET_BACKUP_DIR: join(dir, "backups") };
    const logs: string[] = [];
    openInstallation(loadConfig(env), createLogger("info", (l) => logs.push(l))).db.$client.close();
    expect(readShreddedList(dataDir)).toEqual([clientId]);
    expect(logs.join("")).toContain("lacked some this database has erased");
    // So that a backup from before the erasure, restored here, is still shredded.
    expect(runCli(["restore", "--force", backupFile], env).code).toBe(0);
    expect(storedKey(join(dataDir, "kabinet.db"), clientId)).toBeNull();
  });
});
