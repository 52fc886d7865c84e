// The command line, run as a separate process the way an admin runs it.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import pkg from "../package.json" with { type: "json" };
import { runCli, tempDir, writeKeyFile } from "./support/installation.ts";
import { freePort, stop, waitFor } from "./support/processes.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): { dir: string; env: Record<string, string> } {
  const dir = tempDir();
  dirs.push(dir);
  return { dir, env: { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir) } };
}

describe("kabinet CLI", () => {
  test("--help and help print usage and exit 0", () => {
    for (const args of [["--help"], ["help"], []]) {
      const r = runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage: kabinet <command>");
      for (const cmd of ["serve", "migrate", "version", "audit verify", "keys rotate"]) expect(r.stdout).toContain(cmd);
    }
  });

  test("version prints the package version", () => {
    expect(runCli(["version"])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  test.each([
    [["frobnicate"], "unknown command: frobnicate"],
    [["serve", "--turbo"], "Unknown option '--turbo'"],
    [["version", "extra"], "Unexpected argument 'extra'"],
    [["audit"], "unknown audit command: (none)"],
    [["audit", "erase"], "unknown audit command: erase"],
    [["keys", "burn"], "unknown keys command: burn"],
  ])("%p → usage on stderr, exit 2", (args, message) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("Usage: kabinet");
  });

  test("a bad variable stops with one line naming it", () => {
    const r = runCli(["migrate"], { KABINET_LISTEN: "everywhere" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('kabinet: KABINET_LISTEN is not host:port: "everywhere" (example: KABINET_LISTEN=0.0.0.0:8080)\n');
  });

  test("without a master key, only `serve --dev` runs, and it generates one with mode 0600 and a warning", async () => {
    const { dir } = fresh();
    const data = join(dir, "data");
    const r = runCli(["migrate"], { KABINET_DATA_DIR: data });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("KABINET_MASTER_KEY_FILE is not set");

    // Exactly what `npm start` runs (its script in package.json), with bun from this process.
    const [, ...startArgs] = pkg.scripts.start.split(" ");
    expect(startArgs).toEqual(["run", "src/main.ts", "serve", "--dev"]);
    const proc = Bun.spawn([process.execPath, ...startArgs], {
      cwd: join(import.meta.dir, ".."),
      env: { ...process.env, KABINET_DATA_DIR: data, KABINET_LISTEN: "127.0.0.1:0", KABINET_MASTER_KEY_FILE: "", KABINET_METRICS_LISTEN: "off" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes('"msg":"listening"')) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    // Stopping records the audit log's final head while the database is still open, and says nothing failed.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toContain('"msg":"stopping"');
    expect(out).not.toContain('"level":"error"');
    expect(out).toContain("DEVELOPMENT MASTER KEY GENERATED");
    const key = join(data, "master.key");
    expect(existsSync(key)).toBe(true);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(data).mode & 0o777).toBe(0o700);
  });

  test("migrate creates and migrates the database; running it again changes nothing", () => {
    const { dir, env } = fresh();
    const first = runCli(["migrate"], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \d+ migrations; database is up to date\n$/);
    expect(runCli(["migrate"], env)).toMatchObject({ code: 0, stdout: "database is up to date\n" });
    const db = new Database(join(dir, "data", "kabinet.db"), { readonly: true });
    const mode = db.query("PRAGMA journal_mode").get() as { journal_mode: string };
    expect(mode.journal_mode).toBe("wal");
    expect((db.query("SELECT COUNT(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBeGreaterThanOrEqual(2);
    db.close();
  });

  test("a database written by a newer Kabinet is refused with a clear error and not changed", () => {
    const { dir, env } = fresh();
    expect(runCli(["migrate"], env).code).toBe(0);
    const path = join(dir, "data", "kabinet.db");
    const db = new Database(path);
    db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-the-future', 4102444800000)");
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    const before = Bun.hash(require("node:fs").readFileSync(path));
    for (const args of [["migrate"], ["serve"]]) {
      const r = runCli(args, env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the database was written by a newer version of Kabinet");
    }
    expect(Bun.hash(require("node:fs").readFileSync(path))).toBe(before);
  });

  test("audit verify on a fresh installation is OK with zero entries", () => {
    const { env } = fresh();
    runCli(["migrate"], env);
    const r = runCli(["audit", "verify"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 0 audit entries, chain intact\nhead 0:[0-9a-f]{16} /);
  });

  test("a second `serve` on an address already in use refuses with one line and exits 1; the first keeps serving", async () => {
    const { env } = fresh();
    const port = await freePort();
    const listen = { ...env, KABINET_LISTEN: `127.0.0.1:${port}`, KABINET_METRICS_LISTEN: "off" };
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
    const first = Bun.spawn([process.execPath, join(import.meta.dir, "../src/main.ts"), "serve"], { env: { ...clean, ...listen }, stdout: "ignore", stderr: "ignore" });
    try {
      await waitFor(`http://127.0.0.1:${port}/livez`, {}, 15_000, first);
      // Before the fix the second one started too (and ran until killed by the timeout).
      // Another installation (its own data dir, so the data-dir lock does not answer first) on the same address.
      const other = { ...fresh().env, KABINET_LISTEN: listen.KABINET_LISTEN, KABINET_METRICS_LISTEN: "off" };
      const second = Bun.spawnSync([process.execPath, join(import.meta.dir, "../src/main.ts"), "serve"], { env: { ...clean, ...other }, stderr: "pipe", timeout: 10_000 });
      expect(second.exitCode).toBe(1);
      expect(second.stderr.toString()).toBe(`kabinet: KABINET_LISTEN 127.0.0.1:${port} is already in use by another process: stop it, or choose another port\n`);
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    } finally {
      await stop(first);
    }
  });
});
