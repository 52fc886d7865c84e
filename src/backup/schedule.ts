// When the server backs up and drills. A timer, not the job queue: whether a backup is due is read from status.json
// beside the backups, which a restore does not roll back, while a job row lives in the database a restore replaces
// (an old "next backup" job would come back with it). The timer only compares the installation's clock with the
// recorded times, so a restart neither skips a due backup nor makes an extra one.
import type { Config } from "../config.ts";
import { type BackupDeps, abortOffsiteCopies, createBackup } from "./backup.ts";
import { runDrill } from "./drill.ts";
import { readBackupStatus } from "./status.ts";

export type ScheduleDeps = BackupDeps;

const HOUR = 3_600_000;
/** After a failed backup, wait this long before the next attempt, so a full disk is not hammered every minute. */
const RETRY_AFTER_FAILURE_MS = HOUR;

export interface BackupSchedule {
  /** Runs whatever is due now; resolves when it has finished. */
  tick(): Promise<void>;
  /** Stops the timer, gives up a copy off the box under way and waits for a local backup or drill under way. */
  stop(): Promise<void>;
}

/** What is due at `now`, from the recorded status. */
export function dueWork(config: Config, now: number): { backup: boolean; drill: boolean } {
  const status = readBackupStatus(config.backup.dir);
  const { everyHours, drillEveryDays } = config.backup;
  // A time recorded in the future means the clock was set back since: waiting for it could take years, so it is due.
  const past = (at: number | undefined) => (at !== undefined && at <= now ? at : 0);
  const lastBackup = past(status.lastBackup?.at);
  const lastFailure = past(status.lastBackupFailure?.at);
  const failedLast = lastFailure > lastBackup;
  const backup = everyHours > 0 && now - lastBackup >= everyHours * HOUR && !(failedLast && now - lastFailure < RETRY_AFTER_FAILURE_MS);
  const drill = drillEveryDays > 0 && status.lastBackup !== null && now - past(status.lastDrill?.at) >= drillEveryDays * 24 * HOUR;
  return { backup, drill };
}

/**
 * Checks every `checkEveryMs` (a minute) whether a backup or a drill is due. The first check waits `firstCheckMs`
 * (5 minutes) after start: a server that restarts in a loop does not back up on each start, and startup stays fast.
 */
export function startBackupSchedule(deps: ScheduleDeps, o: { firstCheckMs?: number; checkEveryMs?: number } = {}): BackupSchedule {
  let current: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const tick = (): Promise<void> => {
    current ??= (async () => {
      try {
        let due = dueWork(deps.config, deps.clock.now());
        if (due.backup) await createBackup(deps, "system");
        due = dueWork(deps.config, deps.clock.now());
        if (due.drill && !stopped) await runDrill(deps);
      } catch (err) {
        deps.log.error("the backup schedule failed", { error: (err as Error).name });
      }
    })().finally(() => (current = null));
    return current;
  };
  const loop = () => {
    void tick().finally(() => {
      if (!stopped) {
        timer = setTimeout(loop, o.checkEveryMs ?? 60_000);
        timer.unref();
      }
    });
  };
  timer = setTimeout(loop, o.firstCheckMs ?? 5 * 60_000);
  timer.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      // A copy to a slow or stalled SFTP server could outlast the container's stop timeout; the next backup copies.
      abortOffsiteCopies(deps.config.backup.dir);
      await current;
    },
  };
}
