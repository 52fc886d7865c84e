// When the retention job runs: once a day. A timer like the backup schedule's (src/backup/schedule.ts), which compares
// the installation's clock with the last run recorded in meta, so a restart neither skips a due run nor adds one. A
// restore may bring back an older "last run": the job then runs again, which purges nothing twice.
import type { Logger } from "../log.ts";
import { DAY_MS, getRetentionPolicy, RECORD_TYPES } from "./policy.ts";
import { lastRetentionRun, type RetentionDeps, runRetention } from "./retention.ts";

export interface RetentionSchedule {
  /** Runs the job now if it is due. */
  tick(): void;
  stop(): void;
}

/** Due when some "delete after" is set and the last run is a day old (or in the future: the clock was set back). */
export function retentionDue(deps: RetentionDeps, now: number): boolean {
  const policy = getRetentionPolicy(deps.db);
  if (RECORD_TYPES.every((t) => policy[t].deleteAfterDays === null)) return false;
  const last = lastRetentionRun(deps.db)?.at;
  return last === undefined || last > now || now - last >= DAY_MS;
}

/** Checks every `checkEveryMs` (an hour) whether a run is due; the first check `firstCheckMs` (10 minutes) after start. */
export function startRetentionSchedule(deps: RetentionDeps & { log: Logger }, o: { firstCheckMs?: number; checkEveryMs?: number } = {}): RetentionSchedule {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const tick = () => {
    try {
      if (!retentionDue(deps, deps.clock.now())) return;
      const report = runRetention(deps, "system");
      deps.log.info("retention job ran", { purged: Object.values(report.purged).reduce((n, x) => n + x, 0), ms: report.ms });
    } catch (err) {
      deps.log.error("the retention job failed", { error: (err as Error).name });
    }
  };
  const loop = () => {
    tick();
    if (stopped) return;
    timer = setTimeout(loop, o.checkEveryMs ?? 3_600_000);
    timer.unref();
  };
  timer = setTimeout(loop, o.firstCheckMs ?? 10 * 60_000);
  timer.unref();
  return {
    tick,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
