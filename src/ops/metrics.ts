// The Prometheus metrics of one installation: a registry of its own (a test process opens many installations, and
// prom-client's global registry would mix them or refuse a second metric of one name). The request path only adds
// to a counter and a histogram; everything else is read when Prometheus scrapes: the database and disk from the file
// system, the mail queue from the jobs table, backups from their status file, the SFU from its plain counters.
// Labels come from small fixed sets (methods, route templates, status codes, media kinds, anomaly rules), never an
// id, an email or a path.
import { statfsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { readBackupStatus } from "../backup/status.ts";
import type { Installation } from "../installation.ts";
import { unfinishedJobCount } from "../jobs/queue.ts";
import { MAIL_JOB } from "../mail/mailer.ts";
import { WEBHOOK_JOB } from "../webhooks/emit.ts";
import { VERSION } from "../version.ts";
import { freeBytes } from "./failures.ts";
import { opsCounters } from "./metrics-counters.ts";
import { registerProcessMetrics } from "./metrics-process.ts";
import { oncePerScrape, readCounter, readGauge, type ScrapeStart } from "./metrics-read.ts";
import { type CallCounts, registerSfuMetrics } from "./metrics-sfu.ts";

/** The anomaly rules (src/anomalies/): each is shown, at 0 until it fires, so a dashboard reads zero, not "no data". */
export const ANOMALY_RULES = ["bulk-record-reads", "export", "off-hours-admin", "signin-failures-account", "signin-failures-address", "break-glass"] as const;

/** Seconds: a cached page answers in a millisecond, a sign-in (argon2id) takes a few hundred, an upload seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface MetricsOptions {
  /** Anomalies found so far, by rule (src/anomalies/anomalies.ts countAnomaliesByRule); absent: all zero. */
  anomalyCounts?: () => Record<string, number>;
}

export interface Metrics {
  readonly registry: Registry;
  /** One answered request: its method, route template ("unmatched" when no route took it), status and duration. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Where the rooms, peers and streams of calls now are read from (the app's LiveRooms). */
  watchCalls(counts: () => CallCounts): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  scrape(): Promise<string>;
  readonly contentType: string;
  /** Stops what measures in the background (the event-loop delay). */
  close(): void;
}

export function createMetrics(deps: Pick<Installation, "config" | "db">, options: MetricsOptions = {}): Metrics {
  const { config, db } = deps;
  const registry = new Registry();
  const registers = [registry];
  const counters = opsCounters(db);
  const scrapeStart: ScrapeStart = [];

  new Gauge({ name: "kabinet_build_info", help: "Always 1; the running release in its label.", labelNames: ["version"], registers }).set({ version: VERSION }, 1);

  // ── HTTP ──
  const requests = new Counter({ name: "kabinet_http_requests_total", help: "HTTP requests answered, by method, route template and status.", labelNames: ["method", "route", "status"], registers });
  const durations = new Histogram({ name: "kabinet_http_request_duration_seconds", help: "Time to answer an HTTP request, by method and route template.", labelNames: ["method", "route"], buckets: HTTP_BUCKETS, registers });

  // ── mail, sign-in ──
  readGauge(registry, "kabinet_mail_queue_depth", "Mails waiting to be sent or being sent.", () => unfinishedJobCount(db, MAIL_JOB));
  readCounter(registry, "kabinet_mail_sent_total", "Mails the mail server accepted.", () => counters.mailSent);
  readCounter(registry, "kabinet_mail_failures_total", "Send attempts that failed (refused, or the mail server could not be reached).", () => counters.mailFailures);
  readGauge(registry, "kabinet_webhook_queue_depth", "Webhook deliveries waiting to be sent, being sent, or waiting to be retried.", () => unfinishedJobCount(db, WEBHOOK_JOB));
  readCounter(registry, "kabinet_webhook_delivered_total", "Webhook deliveries a receiver accepted (2xx).", () => counters.webhookDelivered);
  readCounter(registry, "kabinet_webhook_failures_total", "Webhook attempts without a 2xx (an error status, no answer, or an address refused).", () => counters.webhookFailures);
  readCounter(registry, "kabinet_signin_failures_total", "Sign-in attempts refused for a wrong email, password or second-factor code.", () => counters.signInFailures);
  readCounter(registry, "kabinet_signin_throttled_total", "Sign-in attempts refused unchecked because of earlier failures.", () => counters.signInThrottled);

  // ── database and disk ──
  const dbFile = join(config.dataDir, "kabinet.db");
  readGauge(registry, "kabinet_db_size_bytes", "Size of the database file kabinet.db.", () => fileSize(dbFile));
  readGauge(registry, "kabinet_db_wal_size_bytes", "Size of the database's write-ahead log kabinet.db-wal.", () => fileSize(`${dbFile}-wal`));
  readGauge(registry, "kabinet_db_last_checkpoint_timestamp_seconds", "When the last passive WAL checkpoint completed (0: none since start).", () => counters.lastCheckpointAt / 1000);
  readGauge(registry, "kabinet_data_disk_free_bytes", "Bytes Kabinet may still write on the file system of its data directory.", () => freeBytes(config.dataDir) ?? 0);
  readGauge(registry, "kabinet_data_disk_size_bytes", "Size of the file system of the data directory.", () => diskSize(config.dataDir));

  // ── backups (status.json beside the backups, written by src/backup/) ──
  const seconds = (ms: number | undefined): number => (ms ? ms / 1000 : 0);
  const status = oncePerScrape(() => readBackupStatus(config.backup.dir), scrapeStart);
  readGauge(registry, "kabinet_backup_last_success_timestamp_seconds", "When the last backup succeeded (0: never).", () => seconds(status().lastBackup?.at));
  readGauge(registry, "kabinet_backup_last_size_bytes", "Size of the last successful backup.", () => status().lastBackup?.bytes ?? 0);
  readGauge(registry, "kabinet_backup_offsite_last_success_timestamp_seconds", "When a backup was last copied off the box (0: never).", () => seconds(status().lastOffsite?.at));
  readGauge(registry, "kabinet_backup_offsite_last_failure_timestamp_seconds", "When a copy off the box last failed (0: never); a copy that never worked shows only here.", () => seconds(status().lastOffsiteFailure?.at));
  readGauge(registry, "kabinet_backup_schedule_seconds", "Configured interval between backups (0: none scheduled).", () => config.backup.everyHours * 3600);
  readGauge(registry, "kabinet_restore_drill_last_timestamp_seconds", "When the last restore drill ran (0: never).", () => seconds(status().lastDrill?.at));
  readGauge(registry, "kabinet_restore_drill_ok", "1 when the last restore drill succeeded; 0 when it failed or none ran yet.", () => (status().lastDrill?.ok ? 1 : 0));

  // ── anomalies ──
  new Counter({
    name: "kabinet_anomalies_total",
    help: "Anomalies found in the audit trail, by rule.",
    labelNames: ["rule"],
    registers,
    collect() {
      const found = options.anomalyCounts?.() ?? {};
      this.reset();
      for (const rule of new Set([...ANOMALY_RULES, ...Object.keys(found)])) this.inc({ rule }, found[rule] ?? 0);
    },
  });

  const calls = registerSfuMetrics(registry, scrapeStart);
  const processMetrics = registerProcessMetrics(registry, scrapeStart);

  return {
    registry,
    contentType: registry.contentType,
    observeRequest(method, route, status, seconds) {
      const m = METHODS.has(method) ? method : "other";
      requests.inc({ method: m, route, status: String(status) });
      durations.observe({ method: m, route }, seconds);
    },
    watchCalls: calls.watch,
    scrape: () => {
      for (const forget of scrapeStart) forget();
      return registry.metrics();
    },
    close: processMetrics.stop,
  };
}

function diskSize(dir: string): number {
  try {
    const fs = statfsSync(dir);
    return fs.blocks * fs.bsize;
  } catch {
    return 0;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no WAL between checkpoints of a closed database
  }
}
