import { websocket } from "hono/bun";
import { type App, createApp } from "./app.ts";
import { pruneEmailCodes } from "./accounts/email-codes.ts";
import { pruneFailures } from "./accounts/throttle.ts";
import { pruneFinishedJobs } from "./jobs/queue.ts";
import { scanAuditForAnomalies } from "./anomalies/anomalies.ts";
import type { Installation } from "./installation.ts";
import { jobWorker } from "./worker.ts";
import { deleteExpiredSessions } from "./sessions/sessions.ts";

const HOUSEKEEPING_MS = 10 * 60_000;
const ANOMALY_SCAN_MS = 60_000;

/** Removes ended sessions, stale sign-in failure windows, spent email codes and old finished jobs, so no table grows without bound. */
export function housekeeping(inst: Installation): void {
  const now = inst.clock.now();
  const sessions = deleteExpiredSessions(inst.db, inst.config.sessionIdleMinutes, now);
  const failures = pruneFailures(inst.db, now);
  const codes = pruneEmailCodes(inst.db, now);
  const jobs = pruneFinishedJobs(inst.db, now);
  if (sessions + failures + codes + jobs > 0) inst.log.debug("housekeeping", { sessions, failures, codes, jobs });
}

/**
 * Binds the address alone. Bun sets SO_REUSEPORT by default outside development, so a second Kabinet on the same
 * address would start and silently share the port (the kernel splitting connections between old and new code).
 */
function listen(inst: Installation, app: App) {
  // A failure to bind (taken, forbidden, foreign address) is explained in one line by main.ts (ops/failures.ts).
  return Bun.serve({
    hostname: inst.config.listen.hostname,
    port: inst.config.listen.port,
    fetch: app.fetch,
    websocket,
    // Server-wide, so it must admit a room upload; every other route is held to FORM_BYTES (src/http/body-limit.ts).
    maxRequestBodySize: inst.config.maxUploadBytes + 1024 * 1024,
    development: false,
    reusePort: false,
  });
}

export interface RunningServer {
  url: URL;
  /** Drains requests and jobs, runs `beforeClose` (the database still open), then closes the database. */
  stop(options?: { beforeClose?: () => void }): Promise<void>;
}

export function startServer(inst: Installation): RunningServer {
  const app = createApp(inst);
  const server = listen(inst, app);
  const timer = setInterval(() => {
    try {
      housekeeping(inst);
    } catch (err) {
      inst.log.error("housekeeping failed", { error: (err as Error).name });
    }
  }, HOUSEKEEPING_MS);
  timer.unref();
  // Anomaly alerts: the audit entries since the last scan, every minute (src/anomalies/anomalies.ts).
  const anomalyTimer = setInterval(() => {
    try {
      scanAuditForAnomalies(inst);
    } catch (err) {
      inst.log.error("anomaly scan failed", { error: (err as Error).name });
    }
  }, ANOMALY_SCAN_MS);
  anomalyTimer.unref();
  const jobs = jobWorker(inst);
  jobs.start();
  if (!inst.mailer.configured) inst.log.warn("KABINET_SMTP_URL is not set: mail (confirmations, reminders, links) waits in the queue until it is");
  inst.log.info("listening", { address: `${server.hostname}:${server.port}`, publicUrl: inst.config.publicUrl.origin });
  return {
    url: new URL(`http://${server.hostname}:${server.port}`),
    async stop(options = {}) {
      clearInterval(timer);
      clearInterval(anomalyTimer);
      await jobs.stop();
      await server.stop();
      options.beforeClose?.();
      inst.db.$client.close();
    },
  };
}
