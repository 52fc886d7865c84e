// The backup schedule, retention and the restore drill, with the installation's clock set: which backups a
// grandfather-father-son rule keeps, when the server backs up and drills (from status.json), and what a drill records.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createBackup } from "../src/backup/backup.ts";
import { runDrill } from "../src/backup/drill.ts";
import { backupName, backupsToDelete, isoWeek } from "../src/backup/retention.ts";
import { dueWork, startBackupSchedule } from "../src/backup/schedule.ts";
import { readBackupStatus } from "../src/backup/status.ts";
import { jobWorker } from "../src/worker.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation | undefined;
afterEach(() => inst?.close());

const DAY = 86_400_000;
const backups = (i: TestInstallation) => readdirSync(i.config.backup.dir).filter((n) => n.endsWith(".kbk")).sort();

test("ISO weeks start on Monday and the first week holds the year's first Thursday", () => {
  expect(isoWeek(Date.UTC(2026, 11, 3))).toBe("2026-W49"); // a Thursday
  expect(isoWeek(Date.UTC(2026, 11, 6))).toBe("2026-W49"); // Sunday, same week
  expect(isoWeek(Date.UTC(2026, 11, 7))).toBe("2026-W50"); // Monday
  expect(isoWeek(Date.UTC(2027, 0, 1))).toBe("2026-W53"); // Friday 1 January belongs to the old year's last week
  expect(isoWeek(Date.UTC(2025, 11, 29))).toBe("2026-W01"); // Monday 29 December: the week of 1 January 2026 (a Thursday)
});

test("retention keeps the newest of each of the last N days, ISO weeks and months, and always the newest; other files are left alone", () => {
  // A backup every day at 02:00 and 14:00 for 100 days up to Thursday 3 December 2026.
  const end = Date.UTC(2026, 11, 3, 14);
  const names: string[] = ["status.json", "notes.txt"];
  for (let t = end - 100 * DAY; t <= end; t += DAY / 2) names.push(`kabinet-${new Date(t).toISOString().slice(0, 19).replaceAll(":", "-")}Z.kbk`);
  const doomed = new Set(backupsToDelete(names, { daily: 3, weekly: 2, monthly: 3 }));
  const kept = names.filter((n) => !doomed.has(n) && n.endsWith(".kbk")).sort();
  expect(kept).toEqual([
    "kabinet-2026-10-31T14-00-00Z.kbk", // newest of October (3rd month)
    "kabinet-2026-11-29T14-00-00Z.kbk", // Sunday: newest of week 48 (2nd week)
    "kabinet-2026-11-30T14-00-00Z.kbk", // newest of November (2nd month)
    "kabinet-2026-12-01T14-00-00Z.kbk", // the last three days…
    "kabinet-2026-12-02T14-00-00Z.kbk",
    "kabinet-2026-12-03T14-00-00Z.kbk", // …the newest of all, of week 49 and of December
  ]);
  expect(doomed.has("status.json") || doomed.has("notes.txt")).toBe(false);
  // A stretch without backups never deletes the older ones it would count.
  expect(backupsToDelete(["kabinet-2025-01-01T00-00-00Z.kbk", "kabinet-2026-12-03T00-00-00Z.kbk"], { daily: 1, weekly: 0, monthly: 0 })).toEqual(["kabinet-2025-01-01T00-00-00Z.kbk"]);
  expect(backupsToDelete(["kabinet-2025-01-01T00-00-00Z.kbk", "kabinet-2026-12-03T00-00-00Z.kbk"], { daily: 2, weekly: 0, monthly: 0 })).toEqual([]);
});

test("real backups made at set times are pruned by KABINET_BACKUP_KEEP after each backup", async () => {
  inst = makeInstallation({ KABINET_BACKUP_KEEP: "2d,1w,0m" });
  const start = Date.UTC(2026, 10, 30, 3); // Monday
  // What crashed backups left: one two days old (removed), one from an hour before the last backup (perhaps another
  // process's backup under way: kept).
  mkdirSync(inst.config.backup.dir, { recursive: true });
  const stale = join(inst.config.backup.dir, "kabinet-2026-11-28T03-00-00Z.kbk.part");
  const recent = join(inst.config.backup.dir, "kabinet-2026-12-04T08-00-00Z.kbk.part");
  writeFileSync(stale, "half");
  writeFileSync(recent, "half");
  utimesSync(stale, new Date(start - 2 * DAY), new Date(start - 2 * DAY));
  utimesSync(recent, new Date(start + 4 * DAY + 5 * 3_600_000), new Date(start + 4 * DAY + 5 * 3_600_000));
  for (let d = 0; d < 5; d++) {
    for (const hour of [0, 6]) {
      inst.clock.set(start + d * DAY + hour * 3_600_000);
      const outcome = await createBackup(inst, "system");
      expect(outcome.ok).toBe(true);
    }
  }
  expect(backups(inst)).toEqual(["kabinet-2026-12-03T09-00-00Z.kbk", "kabinet-2026-12-04T09-00-00Z.kbk"]);
  expect(readdirSync(inst.config.backup.dir).filter((n) => n.endsWith(".part"))).toEqual(["kabinet-2026-12-04T08-00-00Z.kbk.part"]);
  const status = readBackupStatus(inst.config.backup.dir);
  expect(status.lastBackup?.file).toBe("kabinet-2026-12-04T09-00-00Z.kbk");
  expect(status.lastBackup?.bytes).toBeGreaterThan(0);
  // Audited, with the actor.
  const actions = inst.db.$client.query("SELECT actor, action FROM audit_log WHERE action = 'backup.create'").all();
  expect(actions).toHaveLength(10);
  expect(actions[0]).toEqual({ actor: "system", action: "backup.create" });
});

test("the schedule backs up when KABINET_BACKUP_EVERY_HOURS has passed and drills every KABINET_RESTORE_DRILL_EVERY_DAYS", async () => {
  inst = makeInstallation({ KABINET_BACKUP_EVERY_HOURS: "24", KABINET_RESTORE_DRILL_EVERY_DAYS: "7", KABINET_BACKUP_KEEP: "30d,0w,0m" });
  const schedule = startBackupSchedule(inst, { firstCheckMs: 3_600_000 }); // ticked by hand below
  try {
    const t0 = Date.UTC(2026, 11, 1, 2);
    inst.clock.set(t0);
    // What a crash left two days earlier: a drill's scratch dir and a snapshot. Both are removed.
    const old = new Date(t0 - 2 * DAY);
    mkdirSync(join(inst.config.backup.dir, "drill-1"), { recursive: true });
    writeFileSync(join(inst.config.dataDir, "backup-snapshot-1-1.db"), "x");
    utimesSync(join(inst.config.backup.dir, "drill-1"), old, old);
    utimesSync(join(inst.config.dataDir, "backup-snapshot-1-1.db"), old, old);
    await schedule.tick(); // nothing ever done: a backup, then a drill of it
    expect(readdirSync(inst.config.dataDir).filter((n) => n.startsWith("backup-snapshot-"))).toEqual([]);
    expect(backups(inst)).toHaveLength(1);
    let status = readBackupStatus(inst.config.backup.dir);
    expect(status.lastDrill?.ok).toBe(true);
    expect(status.lastDrill?.file).toBe(backups(inst)[0]!);
    expect(status.lastDrill?.rows.people).toBe(0);
    expect(status.lastDrill?.rows.data_keys).toBe(3);
    inst.clock.set(t0 + 23 * 3_600_000);
    await schedule.tick();
    expect(backups(inst)).toHaveLength(1);
    inst.clock.set(t0 + DAY);
    await schedule.tick();
    expect(backups(inst)).toHaveLength(2);
    expect(readBackupStatus(inst.config.backup.dir).lastDrill?.at).toBe(t0); // not due for a week
    inst.clock.set(t0 + 7 * DAY);
    await schedule.tick();
    status = readBackupStatus(inst.config.backup.dir);
    expect(backups(inst)).toHaveLength(3);
    expect(status.lastDrill?.at).toBe(t0 + 7 * DAY);
    expect(status.lastDrill?.file).toBe("kabinet-2026-12-08T02-00-00Z.kbk");
    // No scratch dir is left behind.
    expect(readdirSync(inst.config.backup.dir).filter((n) => n.startsWith("drill-"))).toEqual([]);
  } finally {
    await schedule.stop();
  }
});

test("the server's job worker runs the schedule while started", async () => {
  inst = makeInstallation();
  const worker = jobWorker(inst, { backupFirstCheckMs: 0 });
  worker.start();
  try {
    const started = Date.now();
    while (readBackupStatus(inst.config.backup.dir).lastDrill === null && Date.now() - started < 20_000) await Bun.sleep(50);
  } finally {
    await worker.stop();
  }
  const status = readBackupStatus(inst.config.backup.dir);
  expect(status.lastBackup).not.toBeNull();
  expect(status.lastDrill?.ok).toBe(true);
});

test("a drill of an altered backup fails and says why; a backup that cannot be written is recorded as failed and retried an hour later", async () => {
  inst = makeInstallation();
  // The installation's time, set: the last good backup two days before the failing one below, whatever today is.
  const at = Date.UTC(2026, 11, 5, 2);
  inst.clock.set(at - 2 * 86_400_000);
  expect((await createBackup(inst, "cli")).ok).toBe(true);
  const file = join(inst.config.backup.dir, backups(inst)[0]!);
  const bytes = readFileSync(file);
  bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 1;
  writeFileSync(file, bytes);
  const drill = await runDrill(inst);
  expect(drill.ok).toBe(false);
  expect(drill.problem).toContain("does not open: chunk 0 does not open");
  expect(readBackupStatus(inst.config.backup.dir).lastDrill).toEqual(drill);

  // A backup that cannot be written (here: a directory where its .part file goes) is recorded with the reason, and
  // the schedule waits an hour before the next attempt.
  inst.clock.set(at);
  mkdirSync(join(inst.config.backup.dir, `${backupName(at)}.part`));
  const outcome = await createBackup(inst, "system");
  expect(outcome).toEqual({ ok: false, problem: expect.stringContaining("EEXIST") });
  expect(readBackupStatus(inst.config.backup.dir).lastBackupFailure).toEqual({ at, problem: outcome.ok ? "" : outcome.problem });
  expect(dueWork(inst.config, at + 59 * 60_000).backup).toBe(false);
  expect(dueWork(inst.config, at + 60 * 60_000).backup).toBe(true);
});
