import { websocket } from "hono/bun";
import { type App, createApp } from "./app.ts";
import { pruneEmailCodes } from "./accounts/email-codes.ts";
import { pruneFailures } from "./accounts/throttle.ts";
import { pruneFinishedJobs } from "./jobs/queue.ts";
import { scanAuditInSlices } from "./anomalies/anomalies.ts";
import { type Installation, StartupError } from "./installation.ts";
import { createMetrics, type Metrics } from "./ops/metrics.ts";
import { opsCounters } from "./ops/metrics-counters.ts";
import { explainMetricsListenFailure, listenForMetrics, type MetricsListener } from "./ops/metrics-listener.ts";
import { jobWorker } from "./worker.ts";
import { pruneDeliveries } from "./webhooks/deliveries.ts";
import { retryPendingTruncate } from "./privacy/shredded-list.ts";
import { deleteExpiredSessions } from "./sessions/sessions.ts";
import { startRetentionSchedule } from "./retention/retention-schedule.ts";
import { pruneIdempotencyKeys } from "./api/idempotency.ts";

const HOUSEKEEPING_MS = 10 * 60_000;
const ANOMALY_SCAN_MS = 60_000;
const CHECKPOINT_MS = 5 * 60_000;

/** Removes ended sessions, stale sign-in failure windows, spent email codes, old finished jobs and webhook deliveries, so no table grows without bound. */
export function housekeeping(inst: Installation): void {
  const now = inst.clock.now();
  const sessions = deleteExpiredSessions(inst.db, inst.config.sessionIdleMinutes, now);
  const failures = pruneFailures(inst.db, now);
  const codes = pruneEmailCodes(inst.db, now);
  const jobs = pruneFinishedJobs(inst.db, now);
  const webhookDeliveries = pruneDeliveries(inst.db, now); // the webhook delivery log keeps 30 days
  pruneIdempotencyKeys(inst, now); // what an API POST keeps for a retry under its Idempotency-Key: 24 hours
  if (sessions + failures + codes + jobs + webhookDeliveries > 0) inst.log.debug("housekeeping", { sessions, failures, codes, jobs, webhookDeliveries });
}

/**
 * Copies what the write-ahead log holds into the database file, as far as no reader needs it, so the WAL does not grow
 * between SQLite's own automatic checkpoints. PASSIVE only: Litestream may be reading the WAL to replicate it, and a
 * TRUNCATE or RESTART checkpoint would wait for it and reset the log under it. The one exception: after an erasure whose
 * own TRUNCATE found a reader, a TRUNCATE that does not wait, until one empties the WAL (see retryPendingTruncate).
 */
export function checkpointWal(inst: Installation): void {
  // An erasure whose TRUNCATE found a reader still leaves the old wrapped key in the WAL: retried here until it empties.
  const retried = retryPendingTruncate(inst.db);
  if (retried) {
    opsCounters(inst.db).lastCheckpointAt = inst.clock.now();
    inst.log.info("WAL emptied after an erasure (its checkpoint had found a reader)");
    return;
  }
  const result = inst.db.$client.query("PRAGMA wal_checkpoint(PASSIVE)").get() as { busy: number } | null;
  if (result && result.busy === 0) opsCounters(inst.db).lastCheckpointAt = inst.clock.now();
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

/** The Prometheus endpoint on its own address; a bind failure is a one-line StartupError naming KABINET_METRICS_LISTEN. */
function startMetricsListener(inst: Installation, metrics: Metrics): MetricsListener {
  const listen = inst.config.metrics.listen!;
  try {
    return listenForMetrics(metrics, listen, inst.config.metrics.token, inst.log);
  } catch (err) {
    const explained = explainMetricsListenFailure(err, `${listen.hostname}:${listen.port}`);
    throw explained ? new StartupError(explained) : err;
  }
}

export interface RunningServer {
  url: URL;
  /** The Prometheus endpoint; null when KABINET_METRICS_LISTEN is off. */
  metricsUrl: URL | null;
  /** Drains requests and jobs, runs `beforeClose` (the database still open), then closes the database. */
  stop(options?: { beforeClose?: () => void }): Promise<void>;
}

export interface ServerOptions {
  /** Anomalies found so far by rule, for the metrics (src/anomalies/). */
  anomalyCounts?: () => Record<string, number>;
}

export function startServer(inst: Installation, options: ServerOptions = {}): RunningServer {
  const metrics = inst.config.metrics.listen ? createMetrics(inst, { anomalyCounts: options.anomalyCounts }) : undefined;
  const app = createApp(inst, { metrics });
  let server: ReturnType<typeof listen>;
  try {
    server = listen(inst, app);
  } catch (err) {
    metrics?.close();
    throw err;
  }
  let metricsListener: MetricsListener | null = null;
  if (metrics) {
    try {
      metricsListener = startMetricsListener(inst, metrics);
    } catch (err) {
      metrics.close();
      void server.stop(true);
      throw err;
    }
  }
  const timer = setInterval(() => {
    try {
      housekeeping(inst);
    } catch (err) {
      inst.log.error("housekeeping failed", { error: (err as Error).name });
    }
  }, HOUSEKEEPING_MS);
  timer.unref();
  // Anomaly alerts: the audit entries since the last scan, every minute (src/anomalies/anomalies.ts), in short slices
  // so a backlog never holds requests up; one scan at a time, and stop() lets the one under way finish.
  let anomalyScan: Promise<void> | null = null;
  const anomalyTimer = setInterval(() => {
    if (anomalyScan) return;
    anomalyScan = scanAuditInSlices(inst)
      .then(() => {}, (err: unknown) => inst.log.error("anomaly scan failed", { error: (err as Error).name }))
      .finally(() => {
        anomalyScan = null;
      });
  }, ANOMALY_SCAN_MS);
  anomalyTimer.unref();
  const checkpoint = () => {
    try {
      checkpointWal(inst);
    } catch (err) {
      inst.log.error("WAL checkpoint failed", { error: (err as Error).name });
    }
  };
  checkpoint();
  const checkpoints = setInterval(checkpoint, CHECKPOINT_MS);
  checkpoints.unref();
  const jobs = jobWorker(inst);
  jobs.start();
  const retention = startRetentionSchedule(inst); // the daily retention job (src/retention)
  if (!inst.mailer.configured) inst.log.warn("KABINET_SMTP_URL is not set: mail (confirmations, reminders, links) waits in the queue until it is");
  inst.log.info("listening", { address: `${server.hostname}:${server.port}`, publicUrl: inst.config.publicUrl.origin });
  if (metricsListener) inst.log.info("metrics listening", { address: metricsListener.url.host, token: inst.config.metrics.token !== null });
  return {
    url: new URL(`http://${server.hostname}:${server.port}`),
    metricsUrl: metricsListener ? new URL("/metrics", metricsListener.url) : null,
    async stop(options = {}) {
      clearInterval(timer);
      clearInterval(anomalyTimer);
      await anomalyScan;
      retention.stop();
      clearInterval(checkpoints);
      await jobs.stop();
      await metricsListener?.stop();
      metrics?.close();
      await server.stop();
      options.beforeClose?.();
      inst.db.$client.close();
    },
  };
}
