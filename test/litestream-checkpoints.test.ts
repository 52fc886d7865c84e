// Kabinet's own SQLite settings beside Litestream (src/db/client.ts: WAL, synchronous = FULL, busy_timeout 5 s, the
// default automatic checkpoint at 1000 WAL pages) and the PASSIVE checkpoint housekeeping may run: Litestream holds a
// read lock so that nobody else can restart the WAL under it. If an application's checkpoint did restart it, Litestream
// would notice ("wal overwritten by another process"), start a new generation and upload a full snapshot. This drives
// the WAL well past the automatic checkpoint's threshold through a connection opened exactly as Kabinet opens one,
// with a PASSIVE checkpoint every few commits, and expects Litestream to have kept one generation and the restore to
// hold every commit.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../src/db/client.ts";
import { tempDir } from "./support/installation.ts";
import { integrityCheck, litestreamBinary } from "./support/kabinet-process.ts";
import { LITESTREAM_CONFIG, litestreamEnv } from "./support/litestream.ts";

const dir = tempDir("kabinet-checkpoints-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("Kabinet's automatic and PASSIVE checkpoints never make Litestream lose its place in the WAL", async () => {
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const replica = { url: `file://${join(dir, "replica")}`, dir: join(dir, "replica") };
  const db = openDatabase(join(dataDir, "kabinet.db"));
  db.$client.run("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  const log = join(dir, "litestream.log");
  const litestream = Bun.spawn([litestreamBinary(), "replicate", "-config", LITESTREAM_CONFIG], { env: litestreamEnv(dataDir, replica), stdout: Bun.file(log), stderr: "inherit" });
  try {
    await Bun.sleep(1_500); // Litestream's first snapshot and read lock
    const insert = db.$client.prepare("INSERT INTO filler (body) VALUES (?)");
    const pageSize = (db.$client.query("PRAGMA page_size").get() as { page_size: number }).page_size;
    const COMMITS = 300;
    for (let i = 0; i < COMMITS; i++) {
      insert.run(new Uint8Array(8 * pageSize).fill(i & 0xff)); // eight pages and more per commit
      if (i % 25 === 0) db.$client.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      if (i % 50 === 0) await Bun.sleep(100); // let Litestream sync and checkpoint in between
    }
    // Past the automatic checkpoint's threshold (1000 pages) more than twice over: SQLite ran it after those commits.
    expect(statSync(join(dataDir, "kabinet.db-wal")).size + statSync(join(dataDir, "kabinet.db")).size).toBeGreaterThan(2_000 * pageSize);
    await Bun.sleep(2_000);
  } finally {
    db.$client.close();
    litestream.kill("SIGTERM");
    await litestream.exited;
  }
  const generations = readFileSync(log, "utf8").split("\n").filter((l) => l.includes('"msg":"sync: new generation"'));
  expect(generations.map((l) => JSON.parse(l).reason)).toEqual(["no generation exists"]);

  const restored = join(dir, "restored");
  mkdirSync(restored);
  const r = Bun.spawnSync([litestreamBinary(), "restore", "-config", LITESTREAM_CONFIG, join(restored, "kabinet.db")], { env: litestreamEnv(restored, replica), stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  expect(integrityCheck(join(restored, "kabinet.db"))).toBe("ok");
  const back = openDatabase(join(restored, "kabinet.db"));
  try {
    expect(back.$client.query("SELECT count(*) AS n, max(id) AS last FROM filler").get()).toEqual({ n: 300, last: 300 });
  } finally {
    back.$client.close();
  }
});
