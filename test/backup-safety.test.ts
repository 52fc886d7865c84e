// The sealed backups at their edges of safety: where the snapshot goes and how much room a backup needs, a backup from
// a newer Kabinet, a damaged header, a concurrent backup's file, a clock set back, and a restore whose swap fails part
// way. Real files, real tmpfs disks (root), the real CLI.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createBackup } from "../src/backup/backup.ts";
import { restoreInto } from "../src/backup/restore.ts";
import { dueWork, startBackupSchedule } from "../src/backup/schedule.ts";
import { readBackupStatus, updateBackupStatus } from "../src/backup/status.ts";
import { backupName } from "../src/backup/retention.ts";
import { OFFSITE_LIMITS, offsiteDeadlineMs } from "../src/backup/sftp.ts";
import { makeInstallation, runCli, type TestInstallation, tempDir } from "./support/installation.ts";
import { mountTinyDisk, type TinyDisk, tinyDisksWork } from "./support/tiny-disk.ts";

let inst: TestInstallation | null = null;
let disk: TinyDisk | null = null;
const dirs: string[] = [];
afterEach(() => {
  inst?.close();
  inst = null;
  disk?.unmount();
  disk = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

/** Two MiB of incompressible rows, so the database is larger than the room the tests leave. */
function pad(i: TestInstallation): void {
  const client = i.db.$client;
  client.run("CREATE TABLE test_padding (b BLOB)");
  for (let n = 0; n < 32; n++) client.query("INSERT INTO test_padding VALUES (?)").run(crypto.getRandomValues(new Uint8Array(65536)));
  client.run("PRAGMA wal_checkpoint(TRUNCATE)");
}

test.skipIf(!tinyDisksWork)("the snapshot is taken on the backup dir's disk: a nearly full data disk still backs up", async () => {
  disk = mountTinyDisk(16 * 1024);
  inst = makeInstallation({ KABINET_DATA_DIR: join(disk.dir, "data"), KABINET_BACKUP_DIR: scratch("kabinet-bdir-") });
  pad(inst);
  writeFileSync(join(disk.dir, "spare"), new Uint8Array(768 * 1024));
  disk.fill();
  rmSync(join(disk.dir, "spare")); // 768 KiB free for live writes: less than the 2 MiB database
  const outcome = await createBackup(inst, "system");
  if (!outcome.ok) throw new Error(outcome.problem);
  expect(readdirSync(inst.config.backup.dir).sort()).toEqual([outcome.run.file, "status.json"]);
  expect(readdirSync(inst.config.dataDir).filter((n) => n.startsWith("backup-snapshot-"))).toEqual([]);
});

test.skipIf(!tinyDisksWork)("a backup dir's disk without room for the snapshot and the backup fails at once with one clear line", async () => {
  disk = mountTinyDisk(4 * 1024);
  inst = makeInstallation({ KABINET_BACKUP_DIR: join(disk.dir, "backups") });
  pad(inst);
  const outcome = await createBackup(inst, "system");
  expect(outcome.ok).toBe(false);
  const problem = outcome.ok ? "" : outcome.problem;
  expect(problem).toMatch(/^the backup dir's disk has [\d.]+ MiB free, a backup needs about [\d.]+ MiB \(twice the database, the room files and a margin\): free space or point KABINET_BACKUP_DIR at a larger disk$/);
  expect(readBackupStatus(inst.config.backup.dir).lastBackupFailure?.problem).toBe(problem);
  expect(readdirSync(inst.config.backup.dir)).toEqual(["status.json"]);
});

test("a snapshot or status file a crashed process left in the backup dir is not listed as a backup and is removed a day later", async () => {
  inst = makeInstallation();
  const dir = inst.config.backup.dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "backup-snapshot-1-1.db"), "half a snapshot");
  writeFileSync(join(dir, "status.json.1-abc.tmp"), "half a status");
  inst.clock.set(Date.now() + 2 * 86_400_000);
  const outcome = await createBackup(inst, "system");
  if (!outcome.ok) throw new Error(outcome.problem);
  expect(readdirSync(dir).sort()).toEqual([outcome.run.file, "status.json"]);
});

test("kabinet restore refuses a backup made by a newer Kabinet before touching the data dir, in one line", async () => {
  inst = makeInstallation();
  inst.db.$client.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-the-future', 99999999999999)");
  const applied = (inst.db.$client.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n;
  const outcome = await createBackup(inst, "cli");
  if (!outcome.ok) throw new Error(outcome.problem);
  const target = join(scratch("kabinet-restore-"), "data");
  const r = runCli(["restore", join(inst.config.backup.dir, outcome.run.file)], { KABINET_DATA_DIR: target, KABINET_MASTER_KEY_FILE: inst.keyFile });
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(`kabinet: the backup was made by a newer Kabinet (schema ${applied}, this one knows ${applied - 1}); install that version or newer to restore it\n`);
  expect(readdirSync(target).filter((n) => n !== ".lock" && !n.endsWith(".lock"))).toEqual([]);
});

test("kabinet restore of a file whose header is damaged says so in one line, exit 1, no stack trace", () => {
  const d = scratch("kabinet-header-");
  const key = join(d, "master.key");
  inst = makeInstallation();
  writeFileSync(key, readFileSync(inst.keyFile));
  for (const [name, json] of [
    ["null.kbk", "null"],
    ["number.kbk", "42"],
    ["array.kbk", "[1]"],
  ] as const) {
    const path = join(d, name);
    const head = Buffer.alloc(12);
    head.write("KABINETB", 0, "latin1");
    head.writeUInt32BE(json.length, 8);
    writeFileSync(path, Buffer.concat([head, Buffer.from(json)]));
    const r = runCli(["restore", path], { KABINET_DATA_DIR: join(d, "data"), KABINET_MASTER_KEY_FILE: key });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kabinet: ${path} does not open: its header is damaged. Nothing was changed\n`);
  }
});

test("a backup that finds another process's .part under its name leaves that file alone", async () => {
  inst = makeInstallation();
  const at = Date.UTC(2026, 11, 5, 2);
  inst.clock.set(at);
  mkdirSync(inst.config.backup.dir, { recursive: true });
  const theirs = join(inst.config.backup.dir, `${backupName(at)}.part`);
  writeFileSync(theirs, "another process's backup under way");
  const outcome = await createBackup(inst, "system");
  expect(outcome.ok).toBe(false);
  expect(readFileSync(theirs, "utf8")).toBe("another process's backup under way");
});

test("status.json written by several processes at once: no writer loses its temporary file to another", async () => {
  const d = scratch("kabinet-status-");
  const writer = `
    const { updateBackupStatus } = await import(${JSON.stringify(join(import.meta.dir, "../src/backup/status.ts"))});
    for (let n = 0; n < 300; n++) updateBackupStatus(${JSON.stringify(d)}, { lastBackupFailure: { at: n, problem: "x" } });
  `;
  const procs = [0, 1, 2, 3].map(() => Bun.spawn([process.execPath, "-e", writer], { stdout: "ignore", stderr: "pipe" }));
  const results = await Promise.all(procs.map(async (p) => ({ code: await p.exited, stderr: await new Response(p.stderr).text() })));
  for (const r of results) expect(r).toEqual({ code: 0, stderr: "" });
  expect(readdirSync(d)).toEqual(["status.json"]);
  expect(readBackupStatus(d).lastBackupFailure?.at).toBe(299);
});

test("a last backup recorded in the future (the clock was set back) makes a backup due, and the schedule makes one", async () => {
  inst = makeInstallation();
  const now = Date.UTC(2026, 11, 3, 12);
  inst.clock.set(now);
  updateBackupStatus(inst.config.backup.dir, { lastBackup: { at: now + 30 * 86_400_000, file: backupName(now + 30 * 86_400_000), bytes: 1, ms: 1 } });
  expect(dueWork(inst.config, now).backup).toBe(true);
  const schedule = startBackupSchedule(inst, { firstCheckMs: 3_600_000 });
  try {
    await schedule.tick();
  } finally {
    await schedule.stop();
  }
  expect(readBackupStatus(inst.config.backup.dir).lastBackup?.at).toBe(now);
  expect(dueWork(inst.config, now).backup).toBe(false);
});

test("a restore whose swap fails part way puts the old database back and removes the staging dir", async () => {
  inst = makeInstallation();
  const outcome = await createBackup(inst, "cli");
  if (!outcome.ok) throw new Error(outcome.problem);
  const backup = join(inst.config.backup.dir, outcome.run.file);
  const target = makeInstallation({ KABINET_MASTER_KEY_FILE: inst.keyFile });
  try {
    target.db.$client.close();
    const dataDir = target.config.dataDir;
    writeFileSync(join(dataDir, "audit-head.json"), "{}");
    mkdirSync(join(dataDir, "files"), { recursive: true });
    writeFileSync(join(dataDir, "files", "abc"), "sealed file");
    const dbBefore = readFileSync(join(dataDir, "kabinet.db"));
    const now = Date.UTC(2026, 11, 3, 12);
    // A non-empty directory where the old audit head is to be kept aside: that rename fails after the database moved.
    const inTheWay = join(dataDir, "audit-head.json.before-restore-2026-12-03T12-00-00Z");
    mkdirSync(join(inTheWay, "x"), { recursive: true });
    let message = "";
    await restoreInto(target.config, backup, { force: true, now }).catch((err: Error) => (message = err.message));
    expect(message).toMatch(/^moving .*audit-head\.json failed \((EISDIR|ENOTEMPTY|EEXIST)\); the data dir is as it was before the restore\. Fix the cause and restore again$/);
    expect(readFileSync(join(dataDir, "kabinet.db"))).toEqual(dbBefore);
    expect(readFileSync(join(dataDir, "audit-head.json"), "utf8")).toBe("{}");
    expect(readFileSync(join(dataDir, "files", "abc"), "utf8")).toBe("sealed file");
    expect(readdirSync(dataDir).filter((n) => n.startsWith("restore-") || n.includes(".before-restore-") && n !== "audit-head.json.before-restore-2026-12-03T12-00-00Z")).toEqual([]);
  } finally {
    rmSync(target.dir, { recursive: true, force: true });
  }
});

test("the copy off the box's deadline: 2 minutes, plus the backup at 256 KiB/s (about 70 minutes for 1 GiB)", () => {
  expect(offsiteDeadlineMs(0)).toBe(120_000);
  expect(Math.round(offsiteDeadlineMs(1024 ** 3) / 60_000)).toBe(70);
  expect(OFFSITE_LIMITS.keepaliveMs).toBe(15_000);
});
