// `kabinet doctor` on real installations: healthy, beside a running server, before the first start, with a wrong
// master key, a damaged database, a full disk (a real tmpfs), media ports another program holds, stale backups.
import { afterEach, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { createSocket, type Socket } from "node:dgram";
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, openSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { updateBackupStatus } from "../src/backup/status.ts";
import { SettableClock } from "../src/clock.ts";
import { type CheckResult, runDoctor } from "../src/ops/doctor.ts";
import { isPrivateIPv4 } from "../src/ops/doctor-local.ts";
import { makeInstallation, runCli, tempDir, type TestInstallation, writeKeyFile } from "./support/installation.ts";
import { freePort, stop, waitFor } from "./support/processes.ts";
import { undoLastMigration } from "./support/undo-migration.ts";
import { mountTinyDisk, type TinyDisk, tinyDisksWork } from "./support/tiny-disk.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

function installation(extra: Record<string, string> = {}): TestInstallation {
  const inst = makeInstallation(extra);
  cleanup.push(() => inst.close());
  return inst;
}

/** UDP ports nobody holds right now, consecutive, in a range no other test of this file uses. */
async function freeUdpRange(count: number): Promise<[number, number]> {
  for (;;) {
    const first = 42000 + Math.floor(Math.random() * 15000);
    const sockets = await holdPorts(first, first + count - 1).catch(() => null);
    if (!sockets) continue;
    for (const s of sockets) s.close();
    return [first, first + count - 1];
  }
}

async function holdPorts(first: number, last: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  try {
    for (let port = first; port <= last; port++) {
      const s = createSocket("udp4");
      sockets.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.bind({ port, address: "0.0.0.0", exclusive: true }, resolve);
      });
    }
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  return sockets;
}

/** Env for the doctor: the installation's, a listener nobody answers on and a media range of its own. */
async function doctorEnv(inst: TestInstallation, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const [first, last] = await freeUdpRange(8);
  return { ...inst.env, KABINET_LISTEN: `127.0.0.1:${await freePort()}`, KABINET_MEDIA_PORTS: `${first}-${last}`, ...extra };
}

function line(results: CheckResult[], name: string): CheckResult {
  const found = results.filter((r) => r.name === name);
  expect(found.length).toBeGreaterThan(0);
  return found.find((r) => r.status !== "ok") ?? found[0]!;
}

describe("kabinet doctor", () => {
  test("a healthy installation: every line ✓ or !, a summary, exit 0, nothing written", async () => {
    const inst = installation();
    const env = await doctorEnv(inst);
    const r = runCli(["doctor"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("✗");
    expect(r.stdout).toMatch(/^✓ master key +key [0-9a-f]+ is readable \(mode 0600\) and opens the database$/m);
    expect(r.stdout).toMatch(/^✓ database +integrity_check ok, .*schema current \(\d+ migrations\)$/m);
    expect(r.stdout).toMatch(/^✓ media ports +UDP \d+-\d+: all 8 free$/m);
    // Problems come with their fix on the next line, and the summary counts them.
    expect(r.stdout).toMatch(/^! mail +KABINET_SMTP_URL is not set: mail waits in the queue\n +→ Set KABINET_SMTP_URL/m);
    expect(r.stdout).toMatch(/\n\n\d+ problems?: 0 failed, \d+ warnings?\.\n$/);
    // No secret in the report: the key file's contents never appear.
    expect(r.stdout).not.toContain((await Bun.file(inst.keyFile).text()).trim());
    const json = runCli(["doctor", "--json"], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { checks: CheckResult[] };
    expect(parsed.checks.find((c) => c.name === "database")).toMatchObject({ status: "ok", fix: null });
  });

  test("usage errors exit 2", () => {
    const r = runCli(["doctor", "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("doctor [--ca FILE] [--json]");
  });

  test("a development installation (`serve --dev`, running: no lock, no migration) is healthy; the server line reads its /readyz", async () => {
    const dir = tempDir();
    const port = await freePort();
    const [first, last] = await freeUdpRange(8);
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_LISTEN: `127.0.0.1:${port}`, KABINET_METRICS_LISTEN: "off", KABINET_MEDIA_PORTS: `${first}-${last}` };
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
    const server: Subprocess = Bun.spawn([process.execPath, MAIN, "serve", "--dev"], { env: { ...clean, ...env }, stdout: "ignore", stderr: "ignore" });
    cleanup.push(() => stop(server));
    await waitFor(`http://127.0.0.1:${port}/readyz`, {}, 15_000, server);
    const r = runCli(["doctor"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("✗");
    expect(r.stdout).toMatch(/^! master key +the development key in the data dir is in use \(.*master\.key\): whoever copies the data dir can read everything\n +→ For production, move the key/m);
    expect(r.stdout).toMatch(/^✓ master key +key [0-9a-f]+ is readable \(mode 0600\) and opens the database$/m);
    expect(r.stdout).toMatch(new RegExp(`^✓ server +the server at http://127\\.0\\.0\\.1:${port} is ready$`, "m"));
    expect(r.stdout).toMatch(/^✓ database +integrity_check ok/m);
    // Held media ports are the running server's: fine.
    const held = await holdPorts(first, first + 3);
    cleanup.push(() => held.forEach((s) => s.close()));
    expect(runCli(["doctor"], env).stdout).toMatch(/^✓ media ports +UDP \d+-\d+: 4 free, 4 held by the running Kabinet's calls$/m);
  }, 30_000);

  test("before the first start: the database is missing (a warning) and nothing is created", async () => {
    const dir = tempDir();
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir), KABINET_LISTEN: `127.0.0.1:${await freePort()}`, KABINET_METRICS_LISTEN: "off" };
    const r = runCli(["doctor"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^! database +.*kabinet\.db does not exist yet\n +→ Run `kabinet migrate` or start the server once/m);
    expect(r.stdout).toMatch(/^✓ master key +key [0-9a-f]+ is readable; there is no database yet to open$/m);
    expect(existsSync(join(dir, "data"))).toBe(false);
  });

  test("a wrong master key fails with the fix, and no stack trace", async () => {
    const inst = installation();
    const env = await doctorEnv(inst, { KABINET_MASTER_KEY_FILE: writeKeyFile(inst.dir, "other.key") });
    const r = runCli(["doctor"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^✗ master key +this master key \(id [0-9a-f]+\) does not open this database: its data keys are wrapped by key [0-9a-f]+\n +→ Set KABINET_MASTER_KEY_FILE to the key this database was created with/m);
    expect(r.stdout).not.toMatch(/\bat .*\.ts:\d+/);
    expect(r.stdout).toMatch(/\n\n\d+ problems?: 1 failed/);
  });

  test("a stopped installation is checked without creating a file (no -wal or -shm owned by the doctor's user)", async () => {
    const inst = installation();
    const env = await doctorEnv(inst);
    inst.db.$client.close();
    const before = readdirSync(inst.env.KABINET_DATA_DIR!).sort();
    expect(before).not.toContain("kabinet.db-shm");
    const r = runCli(["doctor"], env);
    expect(r.stdout).toMatch(/^✓ master key +key [0-9a-f]+ is readable \(mode 0600\) and opens the database$/m);
    expect(r.stdout).toMatch(/^✓ database +integrity_check ok/m);
    expect(readdirSync(inst.env.KABINET_DATA_DIR!).sort()).toEqual(before);
  });

  test("a schema behind this Kabinet is a warning (migrate), one ahead of it a failure", async () => {
    const inst = installation();
    const env = await doctorEnv(inst);
    inst.db.$client.close();
    const path = join(inst.env.KABINET_DATA_DIR!, "kabinet.db");
    undoLastMigration(path);
    expect(runCli(["doctor"], env).stdout).toMatch(/^! database +integrity_check ok; schema behind: 1 migrations pending\n +→ Run `kabinet migrate`/m);
    expect(runCli(["migrate"], env).code).toBe(0);
    const db = new Database(path);
    db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-a-newer-kabinet', 99999999999999)");
    db.close();
    const newer = runCli(["doctor"], env);
    expect(newer.code).toBe(1);
    expect(newer.stdout).toMatch(/^✗ database +integrity_check ok; schema newer than this Kabinet \(\d+ migrations applied, this version knows \d+\)\n +→ Run the newer Kabinet/m);
  });

  test("a key file other users can read is a warning with the chmod", async () => {
    const inst = installation();
    chmodSync(inst.keyFile, 0o644);
    const r = runCli(["doctor"], await doctorEnv(inst));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^! master key +${inst.keyFile} can be read by other users \\(mode 0644\\)\\n +→ Run chmod 600 ${inst.keyFile}\\.$`, "m"));
  });

  test("a damaged database fails, and so does a file that is no database", async () => {
    const inst = installation();
    const env = await doctorEnv(inst);
    inst.db.$client.close();
    const path = join(inst.env.KABINET_DATA_DIR!, "kabinet.db");
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(3 * 4096, 0xa5), 0, 3 * 4096, 4096 * 3); // pages 4–6: b-tree pages turned to noise
    closeSync(fd);
    const damaged = runCli(["doctor"], env);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toMatch(/^✗ database +/m);
    expect(damaged.stdout).toMatch(/restore .*from .*backup/i);
    await Bun.write(path, "this is not a database, it only sits where one should be ".repeat(100));
    const noDatabase = runCli(["doctor"], env);
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stdout).toMatch(/^✗ database +.*kabinet\.db is damaged or is not a Kabinet database \("file is not a database"\) \(SQLITE_NOTADB\)\n +→ Restore it from a backup\.$/m);
  });

  test.skipIf(!tinyDisksWork)("a full data disk fails like readiness does (under 1 MiB free), and the running server's /readyz says why", async () => {
    const disk: TinyDisk = mountTinyDisk();
    cleanup.push(() => disk.unmount());
    const env = { KABINET_DATA_DIR: join(disk.dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(tempDir()), KABINET_LISTEN: `127.0.0.1:${await freePort()}`, KABINET_METRICS_LISTEN: "off" };
    expect(runCli(["migrate"], env).code).toBe(0);
    const low = runCli(["doctor"], env);
    expect(low.stdout).toMatch(/^! disk \(data and backups\) +[\d.]+ MiB free of 4\.0 MiB .*: running low\n +→ Free space at /m);
    // A server on the full disk answers /readyz with 503: the doctor passes its reason on.
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
    const server: Subprocess = Bun.spawn([process.execPath, MAIN, "serve"], { env: { ...clean, ...env }, stdout: "ignore", stderr: "ignore" });
    cleanup.push(() => stop(server));
    await waitFor(`http://${env.KABINET_LISTEN}/readyz`, {}, 15_000, server);
    disk.fill();
    await Bun.sleep(5_100); // readiness probes at most every 5 s
    const full = runCli(["doctor"], env);
    expect(full.code).toBe(1);
    expect(full.stdout).toMatch(/^✗ disk \(data and backups\) +\d+ KiB free of 4\.0 MiB \(\d+ %\) at .*: full, writes are refused\n +→ Free space at /m);
    expect(full.stdout).toMatch(/^✗ server +the server at http:\/\/127\.0\.0\.1:\d+ is not ready: the data disk is full\n/m);
  });

  test("media ports another program holds: some (a warning), all (a failure)", async () => {
    const inst = installation();
    const env = await doctorEnv(inst);
    const [first, last] = env.KABINET_MEDIA_PORTS!.split("-").map(Number) as [number, number];
    const some = await holdPorts(first, first + 2);
    cleanup.push(() => some.forEach((s) => s.close()));
    const partly = runCli(["doctor"], env);
    expect(partly.code).toBe(0);
    expect(partly.stdout).toMatch(new RegExp(`^! media ports +UDP ${first}-${last}: 3 of 8 held by another program \\(no Kabinet is running\\)\\n +→ Find the program with \`ss -ulpn`, "m"));
    const rest = await holdPorts(first + 3, last);
    cleanup.push(() => rest.forEach((s) => s.close()));
    const all = runCli(["doctor"], env);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^✗ media ports +UDP \d+-\d+: all 8 held by another program, and no Kabinet is running$/m);
  });

  test("backup freshness: none yet, fresh, older than 1.5× the schedule, a failed drill, a stale off-site copy", async () => {
    const inst = installation({ KABINET_BACKUP_EVERY_HOURS: "24" });
    const env = await doctorEnv(inst);
    const clock = new SettableClock();
    clock.set(Date.parse("2026-05-04T12:00:00Z"));
    const hour = 3600_000;
    const backupDir = join(inst.env.KABINET_DATA_DIR!, "backups");
    const backups = async (extra: Record<string, string> = {}) => (await runDoctor({ env: { ...env, ...extra }, clock })).filter((r) => ["backups", "restore drill", "off-site copy"].includes(r.name));
    expect(await backups()).toEqual([expect.objectContaining({ name: "backups", status: "warn", detail: `no backup yet in ${backupDir}` })]);

    const run = { file: "kabinet-20260504.kbk", bytes: 5 * 1024 * 1024, ms: 900 };
    updateBackupStatus(backupDir, { lastBackup: { at: clock.now() - 3 * hour, ...run }, lastDrill: { at: clock.now() - 2 * hour, ok: true, file: run.file, ms: 400, rows: {}, problem: null } });
    expect(await backups()).toEqual([
      expect.objectContaining({ name: "backups", status: "ok", detail: "last backup 3 h ago (5.0 MiB), every 24 h" }),
      expect.objectContaining({ name: "restore drill", status: "ok" }),
    ]);

    clock.advance(34 * hour); // 37 h after the last backup: more than 1.5 × 24 h
    expect(line(await backups(), "backups")).toMatchObject({ status: "fail", detail: "the last backup is 37 h old, the schedule is every 24 h", fix: expect.stringContaining("kabinet backup") });
    const cli = runCli(["doctor"], env);
    expect(cli.code).toBe(1); // the system clock is days past the recorded backup too

    updateBackupStatus(backupDir, { lastBackup: { at: clock.now() - hour, ...run }, lastDrill: { at: clock.now() - hour, ok: false, file: run.file, ms: 400, rows: {}, problem: "the audit chain does not verify" } });
    expect(line(await backups(), "restore drill")).toMatchObject({ status: "fail", detail: "the last drill (60 min ago) failed: the audit chain does not verify" });

    const key = join(inst.dir, "sftp.key");
    await Bun.write(key, "not used by the doctor");
    const sftp = { KABINET_BACKUP_SFTP_URL: "sftp://backup@backup.example.org:22/kabinet", KABINET_BACKUP_SFTP_KEY_FILE: key, KABINET_BACKUP_SFTP_HOST_KEY: `SHA256:${"A".repeat(43)}` };
    expect(line(await backups(sftp), "off-site copy")).toMatchObject({ status: "warn", detail: "no copy to backup.example.org:22 yet" });
  });

  test("a wrong variable is a failed check and the other checks still run", async () => {
    const inst = installation();
    const env = await doctorEnv(inst, { KABINET_BACKUP_EVERY_HOURS: "daily" });
    const r = runCli(["doctor"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ configuration +KABINET_BACKUP_EVERY_HOURS is not a whole number of hours: "daily" \(example: KABINET_BACKUP_EVERY_HOURS=24\)\n +→ Correct that variable/m);
    expect(r.stdout).toMatch(/^✓ database +integrity_check ok/m);
    // A setting missing from a set (the SFTP copy needs three) drops the set, and the rest still runs.
    const partial = runCli(["doctor"], { ...env, KABINET_BACKUP_EVERY_HOURS: "24", KABINET_BACKUP_SFTP_URL: "sftp://backup@backup.example.org/kabinet" });
    expect(partial.stdout).toMatch(/^✗ configuration +KABINET_BACKUP_SFTP_KEY_FILE is not set; the SFTP copy signs in with a key/m);
    expect(partial.stdout).toMatch(/^✓ database +integrity_check ok/m);
  });

  test("private addresses are told from public ones", () => {
    for (const ip of ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.10", "100.64.0.1", "169.254.1.1"]) expect(isPrivateIPv4(ip)).toBe(true);
    for (const ip of ["203.0.113.10", "172.32.0.1", "8.8.8.8", "100.128.0.1"]) expect(isPrivateIPv4(ip)).toBe(false);
  });
});
