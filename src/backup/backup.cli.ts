// `kabinet backup` and `kabinet restore FILE [--force]`: what src/main.ts calls once the arguments are parsed.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { StartupError, openInstallation } from "../installation.ts";
import type { Logger } from "../log.ts";
import { lockDataDir } from "../ops/data-dir-lock.ts";
import { createBackup, formatBytes } from "./backup.ts";
import { RestoreError, restoreInto } from "./restore.ts";

/** Makes a backup beside a running server (or without one); exit code. */
export async function backupCommand(config: Config, log: Logger): Promise<number> {
  const inst = openInstallation(config, log, { migrate: false });
  try {
    const outcome = await createBackup(inst, "cli");
    if (!outcome.ok) throw new StartupError(`backup failed: ${outcome.problem}`);
    const { run, deleted, offsite } = outcome;
    console.log(`Backup written: ${join(config.backup.dir, run.file)} (${formatBytes(run.bytes)}, ${(run.ms / 1000).toFixed(1)} s)`);
    if (deleted.length > 0) console.log(`Retention removed ${deleted.length} older backup(s): ${deleted.join(", ")}`);
    if (offsite?.ok) console.log(`Copied off the box to ${config.backup.sftp?.url.host}`);
    if (offsite && !offsite.ok) {
      process.stderr.write(`kabinet: the copy off the box failed: ${offsite.problem}\n`);
      return 1;
    }
    inst.auditHead.checkAndRecord(inst.clock.now());
    return 0;
  } finally {
    inst.db.$client.close();
  }
}

/** Restores FILE into the data dir; refuses while a server holds it. */
export async function restoreCommand(config: Config, file: string, force: boolean, now: number): Promise<number> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 }); // restoring onto a new machine: nothing there yet
  const lock = lockDataDir(config.dataDir);
  if (!lock) {
    throw new StartupError(
      `a Kabinet server is running on KABINET_DATA_DIR ${config.dataDir}: stop it first (docker compose stop kabinet), then restore`,
    );
  }
  try {
    const { header, check, keptAside, shreddedListFound } = await restoreInto(config, file, { force, now });
    console.log(`Restored the backup made at ${new Date(header.createdAt).toISOString()} into ${config.dataDir}`);
    if (keptAside) console.log(`The database that was there is kept as ${keptAside} (delete it once you are sure)`);
    if (check.shredded > 0) console.log(`Destroyed again the data keys of ${check.shredded} erased client(s) listed in shredded-subjects`);
    if (!shreddedListFound) {
      console.log(
        "Warning: there is no shredded-subjects file in the data dir. If clients were erased after this backup was made, copy that " +
          "file from the old machine (or its backup) into the data dir before starting: the start destroys their keys again.",
      );
    }
    console.log(`integrity_check: ${check.integrity}; audit log: ${check.auditEntries} entries, chain intact, head ${check.auditHead}`);
    console.log("Rows per table:");
    for (const [table, n] of Object.entries(check.rows)) console.log(`  ${table.padEnd(28)} ${n}`);
    console.log("Start the server now (docker compose up -d kabinet); it applies any newer migrations.");
    return 0;
  } catch (err) {
    if (err instanceof RestoreError) throw new StartupError(err.message);
    throw err;
  } finally {
    lock.release();
  }
}
