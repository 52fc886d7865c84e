// Counts that the domains keep for the Prometheus endpoint (src/ops/metrics.ts), one set per open database: a test
// process opens many installations, and each one's metrics must show its own sign-ins and mails. Plain numbers, read
// when Prometheus scrapes; nothing here names a person.

export interface OpsCounters {
  signInFailures: number;
  signInThrottled: number;
  mailSent: number;
  /** Send attempts that failed (refused by the mail server, or it could not be reached). */
  mailFailures: number;
  /** Webhook deliveries a receiver accepted (2xx), and attempts that were not (any other answer, or none). */
  webhookDelivered: number;
  webhookFailures: number;
  /** When `PRAGMA wal_checkpoint(PASSIVE)` last completed (ms since the epoch); 0: not yet. */
  lastCheckpointAt: number;
}

const byDatabase = new WeakMap<object, OpsCounters>();

/** The counters of the installation whose database this is. */
export function opsCounters(db: object): OpsCounters {
  let counters = byDatabase.get(db);
  if (!counters) byDatabase.set(db, (counters = { signInFailures: 0, signInThrottled: 0, mailSent: 0, mailFailures: 0, webhookDelivered: 0, webhookFailures: 0, lastCheckpointAt: 0 }));
  return counters;
}
