// Backup and restore of a ~1 GB database: `kabinet backup`'s work (snapshot by VACUUM INTO off the main thread,
// sealing in chunks, fsync, rename) and `kabinet restore`'s (open and unpack every chunk, integrity check, master key,
// audit chain, rows per table, renames), in process, on a generated installation in a temp dir. The bulk is 64 KiB
// chat message bodies of random bytes: sealed values look exactly like that (incompressible), and no check opens them.
// Usage alone: bun run scripts/bench/backup.ts [--runs N] [--mb N]
import { closeSync, copyFileSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createBackup } from "../../src/backup/backup.ts";
import { restoreInto } from "../../src/backup/restore.ts";
import { SettableClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { randomBytes } from "../../src/crypto/aead.ts";
import { generateMasterKeyText } from "../../src/crypto/master-key.ts";
import { openInstallation } from "../../src/installation.ts";
import { createLogger } from "../../src/log.ts";
import { createPerson } from "../../src/people/people.ts";
import { createRoom } from "../../src/rooms/rooms.ts";
import { fmt, median } from "./stats.ts";

const ROW_BYTES = 64 * 1024;
const TARGET_RESTORE_S = 60;

export async function run(options: { runs?: number; mb?: number } = {}): Promise<string> {
  const runs = options.runs ?? 3;
  const mb = options.mb ?? 1024;
  const dir = mkdtempSync(join(tmpdir(), "kabinet-bench-backup-"));
  try {
    const keyFile = join(dir, "master.key");
    writeFileSync(keyFile, `${generateMasterKeyText()}\n`, { mode: 0o600 });
    const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: keyFile, KABINET_BACKUP_DIR: join(dir, "backups"), KABINET_BACKUP_KEEP: "30d,0w,0m" };
    const config = loadConfig(env);
    const clock = new SettableClock();
    const inst = openInstallation(config, createLogger("error", () => {}), { clock });
    const genStarted = performance.now();
    const owner = createPerson(inst, { role: "specialist", email: "bench@example.org", name: "Bench" }, "cli")!;
    const { room } = createRoom(inst, owner.id, inst.clock.now());
    const rows = Math.ceil((mb * 1024 * 1024) / ROW_BYTES);
    const insert = inst.db.$client.prepare("INSERT INTO room_messages (room_id, author_id, at, body) VALUES (?, ?, ?, ?)");
    for (let done = 0; done < rows; ) {
      const batch = Math.min(2000, rows - done);
      inst.db.$client.transaction(() => {
        for (let i = 0; i < batch; i++) insert.run(room.id, owner.id, done + i, randomBytes(ROW_BYTES));
      })();
      done += batch;
    }
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const dbBytes = statSync(join(config.dataDir, "kabinet.db")).size;
    const genS = (performance.now() - genStarted) / 1000;

    const backupS: number[] = [];
    const restoreS: number[] = [];
    // The baseline, measured in the same runs: a plain copy of the database file with fsync (what `cp` and a sync
    // would cost, with no snapshot, no sealing and no checks).
    const copyS: number[] = [];
    let fileBytes = 0;
    for (let r = 0; r < runs; r++) {
      clock.advance(86_400_000); // a new name (and day) per run
      const copyStarted = performance.now();
      const copy = join(dir, "plain-copy.db");
      copyFileSync(join(config.dataDir, "kabinet.db"), copy);
      const fd = openSync(copy, "r+");
      fsyncSync(fd);
      closeSync(fd);
      copyS.push((performance.now() - copyStarted) / 1000);
      rmSync(copy);
      const started = performance.now();
      const outcome = await createBackup(inst, "cli");
      if (!outcome.ok) throw new Error(outcome.problem);
      backupS.push((performance.now() - started) / 1000);
      fileBytes = outcome.run.bytes;
      const target = loadConfig({ ...env, KABINET_DATA_DIR: join(dir, `restored-${r}`) });
      const restoreStarted = performance.now();
      await restoreInto(target, join(config.backup.dir, outcome.run.file), { force: false, now: Date.now() });
      restoreS.push((performance.now() - restoreStarted) / 1000);
      rmSync(target.dataDir, { recursive: true, force: true });
      rmSync(join(config.backup.dir, outcome.run.file));
    }
    inst.db.$client.close();
    const restoreMedian = median(restoreS);
    const gb = (n: number) => fmt(n / 1e9, 2);
    return [
      "## Backups",
      "",
      `A generated installation with ${gb(dbBytes)} GB of database (${rows.toLocaleString("en-US")} rows of 64 KiB random bytes, like sealed values; generated in ${fmt(genS)} s), ` +
        `backed up and restored in process on this machine; medians of ${runs} runs. Backup: snapshot by VACUUM INTO in a worker, sealed in 1 MiB chunks, fsync, rename. ` +
        "Restore: every chunk opened into a staging dir, PRAGMA integrity_check, master key, audit chain, rows per table, renames.",
      "",
      "| | median | runs |",
      "|---|---|---|",
      `| plain copy of the database file with fsync (baseline) | ${fmt(median(copyS))} s | ${copyS.map((s) => fmt(s)).join(", ")} |`,
      `| backup time | ${fmt(median(backupS))} s (${fmt(median(backupS.map((b, i) => b / copyS[i]!)), 1)}× the plain copy, run by run) | ${backupS.map((s) => fmt(s)).join(", ")} |`,
      `| backup file size | ${gb(fileBytes)} GB (${fmt((fileBytes / dbBytes) * 100)} % of the database) | |`,
      `| restore time (target ≤ ${TARGET_RESTORE_S} s) | ${fmt(restoreMedian)} s: ${restoreMedian <= TARGET_RESTORE_S ? "met" : "**missed**"} | ${restoreS.map((s) => fmt(s)).join(", ")} |`,
      "",
    ].join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { runs: { type: "string" }, mb: { type: "string" } }, strict: true });
  console.log(await run({ runs: values.runs ? Number(values.runs) : undefined, mb: values.mb ? Number(values.mb) : undefined }));
}
