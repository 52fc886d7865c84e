// Start-up and command failures a person can cause or meet: each prints one line naming the cause and the fix,
// never a stack trace. The full and read-only disks are real (a small tmpfs).
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { runCli, tempDir, writeKeyFile } from "./support/installation.ts";
import { freePort } from "./support/processes.ts";
import { mountTinyDisk, type TinyDisk, tinyDisksWork } from "./support/tiny-disk.ts";
import { undoLastMigration } from "./support/undo-migration.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");
let disk: TinyDisk | null = null;
let listener: Server | null = null;
afterEach(() => {
  disk?.unmount();
  disk = null;
  listener?.close();
  listener = null;
});

/** One line on stderr, exit 1: what a person reads. */
function expectOneLine(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.stderr).toMatch(/^kabinet: [^\n]+\n$/);
  expect(r.stderr).toMatch(pattern);
  expect(r.code).toBe(1);
}

function onDisk(d: TinyDisk): Record<string, string> {
  return { KABINET_DATA_DIR: join(d.dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(tempDir()) };
}

describe("start-up failures print one line", () => {
  test.skipIf(!tinyDisksWork)("a full disk, for a new installation and for one with a migration to apply", () => {
    disk = mountTinyDisk();
    const env = onDisk(disk);
    disk.fill();
    for (const args of [["migrate"], ["serve"]]) {
      expectOneLine(runCli(args, env), /the disk holding .*\/data is full: free space there .* \(SQLITE_FULL\)/);
    }
    disk.free();
    expect(runCli(["migrate"], env).code).toBe(0);
    // One migration undone, so the next start has to write.
    undoLastMigration(join(env.KABINET_DATA_DIR!, "kabinet.db"));
    disk.fill();
    expectOneLine(runCli(["migrate"], env), /the disk holding .* is full/);
    disk.free();
    expect(runCli(["migrate"], env)).toMatchObject({ code: 0, stdout: "applied 1 migrations; database is up to date\n" });
  });

  test.skipIf(!tinyDisksWork)("a read-only data dir", () => {
    disk = mountTinyDisk();
    const env = onDisk(disk);
    expect(runCli(["migrate"], env).code).toBe(0);
    disk.remount("ro");
    expectOneLine(runCli(["admin", "create", "--email", "a@example.org", "--name", "Ann"], env), /kabinet\.db cannot be written \(read-only file system or file\): mount .* read-write/);
  });

  test("a damaged database file", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "data"), { mode: 0o700 });
    writeFileSync(join(dir, "data", "kabinet.db"), "this is not a database, it only sits where one should be ".repeat(100));
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir) };
    for (const args of [["migrate"], ["audit", "verify"], ["serve"]]) {
      expectOneLine(runCli(args, env), /kabinet\.db is damaged or is not a Kabinet database \("file is not a database"\): restore it from a backup \(SQLITE_NOTADB\)/);
    }
  });

  test.skipIf(process.getuid?.() !== 0)("permission denied on the key file and on the database, for another user", () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir) };
    expect(runCli(["migrate"], env).code).toBe(0);
    const asNobody = (args: string[], extra: Record<string, string> = {}) => {
      const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, MAIN, ...args], {
        env: { ...process.env, KABINET_METRICS_LISTEN: "off", ...env, ...extra },
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    };
    expectOneLine(asNobody(["migrate"]), /KABINET_MASTER_KEY_FILE names .*master\.key, which cannot be read \(EACCES\): permission denied; make it readable by the user Kabinet runs as \(uid 65534\)/);
    const readable = join(dir, "readable.key");
    writeFileSync(readable, require("node:fs").readFileSync(env.KABINET_MASTER_KEY_FILE));
    chmodSync(readable, 0o644);
    expectOneLine(asNobody(["migrate"], { KABINET_MASTER_KEY_FILE: readable }), /permission denied on .*kabinet\.db or its directory: make KABINET_DATA_DIR .* writable by the user Kabinet runs as \(uid 65534\)/);
  });

  test("the listening port is taken", async () => {
    const port = await freePort();
    listener = createServer();
    await new Promise<void>((resolve) => listener!.listen(port, "127.0.0.1", resolve));
    const dir = tempDir();
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir), KABINET_LISTEN: `127.0.0.1:${port}` };
    expectOneLine(runCli(["serve"], env), new RegExp(`KABINET_LISTEN 127\\.0\\.0\\.1:${port} is already in use by another process`));
  });
});
