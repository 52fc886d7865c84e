import { and, asc, desc, eq, isNotNull, isNull, lte, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { anomalyAlerts, meta } from "../db/schema.ts";

export type AlertRow = typeof anomalyAlerts.$inferSelect;
export type NewAlertRow = typeof anomalyAlerts.$inferInsert;

const CURSOR_KEY = "anomalies.cursor";

/** The id of the last audit entry the scan has looked at; null before the first scan. */
export function readCursor(db: Queryable): number | null {
  const row = db.select().from(meta).where(eq(meta.key, CURSOR_KEY)).get();
  return row ? Number(row.value) || 0 : null;
}

export function writeCursor(db: Queryable, id: number): void {
  db.insert(meta).values({ key: CURSOR_KEY, value: String(id) }).onConflictDoUpdate({ target: meta.key, set: { value: sql`excluded.value` } }).run();
}

/** The alert of this rule and subject raised last at or before `at`, or null. */
export function nearestAlertBefore(db: Queryable, rule: string, subject: string, at: number): AlertRow | null {
  return (
    db
      .select()
      .from(anomalyAlerts)
      .where(and(eq(anomalyAlerts.rule, rule), eq(anomalyAlerts.subject, subject), lte(anomalyAlerts.triggeredAt, at)))
      .orderBy(desc(anomalyAlerts.triggeredAt))
      .limit(1)
      .get() ?? null
  );
}

/** Inserts an alert; null when one for this rule, subject and time exists already. */
export function insertAlert(db: Queryable, row: NewAlertRow): AlertRow | null {
  return db.insert(anomalyAlerts).values(row).onConflictDoNothing().returning().get() ?? null;
}

export function growAlert(db: Queryable, id: number, count: number, lastAt: number): void {
  db.update(anomalyAlerts).set({ count, lastAt }).where(eq(anomalyAlerts.id, id)).run();
}

export function getAlert(db: Queryable, id: number): AlertRow | null {
  return db.select().from(anomalyAlerts).where(eq(anomalyAlerts.id, id)).get() ?? null;
}

/** Open (unacknowledged) or acknowledged alerts, newest first. */
export function listAlerts(db: Queryable, state: "open" | "acknowledged", limit: number): AlertRow[] {
  const where = state === "open" ? isNull(anomalyAlerts.acknowledgedAt) : isNotNull(anomalyAlerts.acknowledgedAt);
  return db.select().from(anomalyAlerts).where(where).orderBy(desc(anomalyAlerts.triggeredAt), desc(anomalyAlerts.id)).limit(limit).all();
}

export function countOpen(db: Queryable): number {
  return db.select({ n: sql<number>`count(*)` }).from(anomalyAlerts).where(isNull(anomalyAlerts.acknowledgedAt)).get()?.n ?? 0;
}

/** True when it was open and is now acknowledged. */
export function acknowledge(db: Queryable, id: number, by: string, at: number): boolean {
  const rows = db
    .update(anomalyAlerts)
    .set({ acknowledgedAt: at, acknowledgedBy: by })
    .where(and(eq(anomalyAlerts.id, id), isNull(anomalyAlerts.acknowledgedAt)))
    .returning({ id: anomalyAlerts.id })
    .all();
  return rows.length > 0;
}

export function countByRule(db: Queryable): { rule: string; n: number }[] {
  return db.select({ rule: anomalyAlerts.rule, n: sql<number>`count(*)` }).from(anomalyAlerts).groupBy(anomalyAlerts.rule).orderBy(asc(anomalyAlerts.rule)).all();
}
