import { and, asc, count, desc, eq, gt, inArray, isNull, like, lt, lte, notInArray, or, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { jobs } from "../db/schema.ts";

export type JobRow = typeof jobs.$inferSelect;

/**
 * False when a job with this dedupe key exists already and is waiting, running or finished. A cancelled one comes
 * back to life with the new payload (an appointment moved away and back again needs its reminders again).
 */
export function insertJobRow(db: Queryable, row: Omit<JobRow, "id">): boolean {
  return (
    db
      .insert(jobs)
      .values(row)
      .onConflictDoUpdate({ target: jobs.dedupeKey, set: { ...row, createdAt: undefined }, setWhere: sql`${jobs.status} = 'cancelled'` })
      .returning({ id: jobs.id })
      .all().length === 1
  );
}

export function cancelPendingByPrefix(db: Queryable, prefix: string, at: number): number {
  return db
    .update(jobs)
    .set({ status: "cancelled", finishedAt: at })
    .where(and(eq(jobs.status, "pending"), like(jobs.dedupeKey, `${prefix.replaceAll("%", "")}%`)))
    .returning({ id: jobs.id })
    .all().length;
}

/** The oldest due jobs, leaving out kinds that wait (mail while no SMTP server is set): they must not crowd out others. */
export function dueJobRows(db: Queryable, now: number, limit: number, waitingKinds: readonly string[] = []): JobRow[] {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.status, "pending"), lte(jobs.runAt, now), waitingKinds.length ? notInArray(jobs.kind, [...waitingKinds]) : undefined))
    .orderBy(asc(jobs.runAt))
    .limit(limit)
    .all();
}

/** Moves a job from `from` to `to`; false if someone else moved it first. */
export function moveJob(db: Queryable, id: number, from: JobRow["status"], set: Partial<JobRow>): boolean {
  return db.update(jobs).set(set).where(and(eq(jobs.id, id), eq(jobs.status, from))).returning({ id: jobs.id }).all().length === 1;
}

/** Jobs a worker took before `claimedBefore` and never finished (it died) go back to the queue. */
export function reclaimStale(db: Queryable, claimedBefore: number): number {
  return db
    .update(jobs)
    .set({ status: "pending", claimedAt: null })
    .where(and(eq(jobs.status, "running"), or(isNull(jobs.claimedAt), lt(jobs.claimedAt, claimedBefore))))
    .returning({ id: jobs.id })
    .all().length;
}

export function listJobRows(db: Queryable, statuses: readonly JobRow["status"][], limit: number): JobRow[] {
  return db.select().from(jobs).where(inArray(jobs.status, [...statuses])).orderBy(desc(jobs.runAt)).limit(limit).all();
}

/** The jobs of one kind about one person queued after job `afterId`, oldest first. */
export function laterJobRows(db: Queryable, kind: string, subject: string, afterId: number): JobRow[] {
  return db.select().from(jobs).where(and(eq(jobs.kind, kind), eq(jobs.subject, subject), gt(jobs.id, afterId))).orderBy(asc(jobs.id)).all();
}

export function getJobRow(db: Queryable, id: number): JobRow | null {
  return db.select().from(jobs).where(eq(jobs.id, id)).get() ?? null;
}

export function countByStatus(db: Queryable): Record<JobRow["status"], number> {
  const out = { pending: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
  for (const row of db.select({ status: jobs.status }).from(jobs).all()) out[row.status]++;
  return out;
}

export function countUnfinishedOfKind(db: Queryable, kind: string): number {
  return db.select({ n: count() }).from(jobs).where(and(eq(jobs.kind, kind), inArray(jobs.status, ["pending", "running"]))).get()?.n ?? 0;
}

export function deleteFinishedBefore(db: Queryable, before: number): number {
  return db
    .delete(jobs)
    .where(and(inArray(jobs.status, ["done", "failed", "cancelled"]), lt(jobs.finishedAt, before)))
    .returning({ id: jobs.id })
    .all().length;
}
