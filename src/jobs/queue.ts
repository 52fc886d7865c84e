// The persisted job queue (DESIGN.md decision 8). A job is queued inside the transaction of the change that causes it,
// so it exists exactly when the change does; it survives restarts; it runs at `runAt` or later, is retried with
// backoff when its handler throws, and ends done, failed (after the last attempt, or at once when the handler says
// retrying cannot help) or cancelled (by the change that made it pointless, or by its handler finding nothing to do).
//
// Duplicates: the dedupe key is unique, so queueing twice is a no-op; a job is claimed by moving it from pending to
// running (with the time), so two workers never run the same job. A process that dies mid-job leaves it running;
// once its claim is older than CLAIM_LEASE_MS (far longer than any send may take) it goes back to pending and runs
// again with the same key (mail carries a Message-ID derived from it, so a mail that did leave before the crash is
// recognised as the same message by the receiving side). A second process starting meanwhile leaves live claims alone.
import type { Queryable } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./jobs.store.ts";

export type JobStatus = store.JobRow["status"];

export interface NewJob<P> {
  kind: string;
  dedupeKey: string;
  /** The person the payload is about; their key seals it. */
  subject: string;
  payload: P;
  runAt: number;
}

export interface Job<P = unknown> {
  id: number;
  kind: string;
  dedupeKey: string;
  subject: string;
  payload: P;
  runAt: number;
  status: JobStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
}

/** A claim older than this belongs to a worker that died. */
export const CLAIM_LEASE_MS = 10 * 60_000;

/** Minutes to wait after the 1st, 2nd, … failed attempt; after the last the job is failed. */
export const BACKOFF_MINUTES = [1, 5, 15, 60, 180, 720] as const;

/** Queues a job in the caller's transaction; false if one with this key exists already. */
export function enqueue<P>(tx: Queryable, vault: Vault, job: NewJob<P>, now = Date.now()): boolean {
  return store.insertJobRow(tx, {
    kind: job.kind,
    dedupeKey: job.dedupeKey,
    subject: job.subject,
    payload: Buffer.from(vault.sealField(job.subject, "jobs", "payload", job.dedupeKey, JSON.stringify(job.payload))),
    runAt: job.runAt,
    status: "pending",
    attempts: 0,
    claimedAt: null,
    lastError: null,
    createdAt: now,
    finishedAt: null,
  });
}

/** Cancels the pending jobs whose key starts with `prefix` (e.g. an appointment's reminders when it moves). */
export function cancelJobs(tx: Queryable, prefix: string, now = Date.now()): number {
  return store.cancelPendingByPrefix(tx, prefix, now);
}

export function openJob(vault: Vault, row: store.JobRow): Job {
  let payload: unknown = null;
  try {
    payload = JSON.parse(vault.openField(row.subject, "jobs", "payload", row.dedupeKey, row.payload));
  } catch {
    payload = null; // the subject was erased: nothing left to do for them
  }
  const { payload: _sealed, ...rest } = row;
  return { ...rest, payload };
}

/**
 * How a job ended, when not simply done: `skipped` (nothing left to do, e.g. a mail made untrue by a later change)
 * ends it cancelled; `failed` (retrying cannot help, e.g. a mailbox that does not exist) ends it failed at once.
 * The reason is kept for admins. A handler that throws is retried with backoff.
 */
export type JobOutcome = { status: "done" } | { status: "skipped"; reason: string } | { status: "failed"; reason: string };

export type Handler = (job: Job) => Promise<JobOutcome>;

export interface WorkerOptions {
  db: Queryable;
  vault: Vault;
  log: Logger;
  handlers: Readonly<Record<string, Handler>>;
  /** Kinds not to run now (e.g. mail without SMTP configured): they wait, nothing is lost. */
  paused?: (kind: string) => boolean;
  pollMs?: number;
  now?: () => number;
}

export class JobWorker {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<number> | null = null;
  readonly #o: WorkerOptions;

  constructor(options: WorkerOptions) {
    this.#o = options;
  }

  /** Polls until stopped. */
  start(): void {
    const tick = async () => {
      await this.runDue().catch((err) => this.#o.log.error("job worker failed", { error: String(err) }));
      if (this.#timer) this.#timer = setTimeout(tick, this.#o.pollMs ?? 5000);
    };
    this.#timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Runs every job due now, one at a time; the number run. Concurrent calls share one pass. */
  runDue(): Promise<number> {
    this.#running ??= this.#pass().finally(() => (this.#running = null));
    return this.#running;
  }

  async #pass(): Promise<number> {
    const { db, vault, log, handlers } = this.#o;
    const now = this.#o.now ?? Date.now;
    let ran = 0;
    const recovered = store.reclaimStale(db, now() - CLAIM_LEASE_MS);
    if (recovered) log.warn("jobs abandoned by a stopped worker are queued again", { jobs: recovered });
    for (;;) {
      // Kinds that wait are left out in the query itself: twenty waiting mails must not hide a webhook or a payment.
      const waiting = Object.keys(handlers).filter((kind) => this.#o.paused?.(kind));
      const due = store.dueJobRows(db, now(), 20, waiting);
      if (due.length === 0) return ran;
      for (const row of due) {
        if (!store.moveJob(db, row.id, "pending", { status: "running", attempts: row.attempts + 1, claimedAt: now() })) continue;
        const job = openJob(vault, row);
        const handler = handlers[row.kind];
        let outcome: Partial<store.JobRow>;
        try {
          const result: JobOutcome = !handler ? { status: "failed", reason: `no handler for ${row.kind}` } : job.payload === null ? { status: "done" } : await handler(job);
          if (result.status !== "done") log.info("job ended", { kind: row.kind, job: row.id, status: result.status });
          outcome =
            result.status === "done"
              ? { status: "done", finishedAt: now(), lastError: null }
              : { status: result.status === "skipped" ? "cancelled" : "failed", finishedAt: now(), lastError: forAdmins(result.reason) };
        } catch (err) {
          const attempts = row.attempts + 1;
          const wait = BACKOFF_MINUTES[attempts - 1];
          const error = forAdmins(String((err as Error)?.message ?? err));
          log.warn("job failed", { kind: row.kind, job: row.id, attempts, retry: wait !== undefined });
          outcome = wait === undefined ? { status: "failed", finishedAt: now(), lastError: error } : { status: "pending", runAt: now() + wait * 60_000, lastError: error };
        }
        // If even this write fails (the database busy beyond its timeout), the claim expires and the job runs again.
        try {
          store.moveJob(db, row.id, "running", { ...outcome, claimedAt: null });
        } catch (err) {
          log.error("job outcome not saved", { kind: row.kind, job: row.id, error: (err as Error).name });
        }
        ran++;
      }
    }
  }
}

/** Kept for admins, never logged; addresses an SMTP server may quote are masked. */
function forAdmins(reason: string): string {
  return reason.replaceAll(/[^\s<>"']+@[^\s<>"']+/g, "<address>").slice(0, 300);
}

export function listJobs(db: Queryable, vault: Vault, statuses: readonly JobStatus[], limit = 100): Job[] {
  return store.listJobRows(db, statuses, limit).map((r) => openJob(vault, r));
}

/** The jobs of a kind about the same person queued after this one (e.g. the mails of later changes), opened. */
export function listLaterJobs(db: Queryable, vault: Vault, job: Pick<Job, "id" | "kind" | "subject">): Job[] {
  return store.laterJobRows(db, job.kind, job.subject, job.id).map((r) => openJob(vault, r));
}

export function jobCounts(db: Queryable): Record<JobStatus, number> {
  return store.countByStatus(db);
}

/** Jobs of a kind waiting or running now (the metrics' queue depth). */
export function unfinishedJobCount(db: Queryable, kind: string): number {
  return store.countUnfinishedOfKind(db, kind);
}

/** An admin sends a failed job again: it runs at the next poll with a fresh set of attempts. */
export function retryJob(db: Queryable, id: number, now = Date.now()): boolean {
  return store.moveJob(db, id, "failed", { status: "pending", runAt: now, attempts: 0, finishedAt: null, claimedAt: null });
}

/** Finished jobs are kept this long for admins to see, then removed with their sealed payloads. */
export const KEEP_FINISHED_MS = 30 * 86_400_000;

export function pruneFinishedJobs(db: Queryable, now = Date.now()): number {
  return store.deleteFinishedBefore(db, now - KEEP_FINISHED_MS);
}
