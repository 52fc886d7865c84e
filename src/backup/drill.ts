// The restore drill: proof, on a schedule, that the newest backup restores. It unpacks the backup into a scratch dir
// under the backup dir, runs the checks a restore runs (integrity, master key, audit chain with the backup's own
// recorded head, rows per table), records the outcome in status.json and deletes the scratch dir.
// Unpacking is asynchronous and the integrity check runs in a worker; the audit chain walk and the row counts run on
// the server's thread, like the full chain walk every server start already does (a long audit log makes both slower).
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { MasterKey } from "../crypto/master-key.ts";
import type { Logger } from "../log.ts";
import { describe, listBackups, mkdirPrivate, removeStale } from "./backup.ts";
import { readShreddedList } from "../privacy/shredded-list.ts";
import { checkUnpacked, keyForBackup, unpackBackup } from "./restore.ts";
import { type DrillRun, updateBackupStatus } from "./status.ts";

export interface DrillDeps {
  config: Config;
  masterKeys: readonly MasterKey[];
  clock: Clock;
  log: Logger;
}

const running = new Map<string, Promise<DrillRun>>();

/** Drills the newest backup now, or joins the drill already running; the outcome is also in status.json. */
export function runDrill(deps: DrillDeps): Promise<DrillRun> {
  const dir = deps.config.backup.dir;
  const current = running.get(dir);
  if (current) return current;
  const started = drill(deps).finally(() => running.delete(dir));
  running.set(dir, started);
  return started;
}

export function drillRunning(backupDir: string): boolean {
  return running.has(backupDir);
}

async function drill(deps: DrillDeps): Promise<DrillRun> {
  const { config, clock, log } = deps;
  const dir = config.backup.dir;
  const began = performance.now();
  const newest = listBackups(dir)[0];
  const scratch = join(dir, `drill-${clock.now()}`);
  let result: DrillRun;
  if (!newest) {
    result = { at: clock.now(), ok: false, file: "", ms: 0, rows: {}, problem: "there is no backup to restore yet" };
  } else {
    try {
      await mkdirPrivate(dir);
      removeStale(dir, (n) => n.startsWith("drill-"), clock.now());
      const { key } = await keyForBackup(join(dir, newest.name), deps.masterKeys);
      await unpackBackup(join(dir, newest.name), key, scratch);
      const check = await checkUnpacked(scratch, deps.masterKeys, readShreddedList(config.dataDir));
      result = { at: clock.now(), ok: true, file: newest.name, ms: Math.round(performance.now() - began), rows: check.rows, problem: null };
    } catch (err) {
      result = { at: clock.now(), ok: false, file: newest.name, ms: Math.round(performance.now() - began), rows: {}, problem: describe(err) };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  try {
    updateBackupStatus(dir, { lastDrill: result });
  } catch (err) {
    log.error("the restore drill's result could not be recorded in status.json", { problem: describe(err) });
  }
  if (result.ok) log.info("restore drill passed", { file: result.file, ms: result.ms });
  else log.error("restore drill failed", { file: result.file, problem: result.problem });
  return result;
}
