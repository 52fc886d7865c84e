import { and, asc, desc, eq, gt, gte, like, lt, type SQL } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";

export type AuditRow = typeof auditLog.$inferSelect;

export function lastAuditRow(db: Queryable): Pick<AuditRow, "id" | "mac"> | null {
  return db.select({ id: auditLog.id, mac: auditLog.mac }).from(auditLog).orderBy(desc(auditLog.id)).limit(1).get() ?? null;
}

export function insertAuditRow(db: Queryable, row: AuditRow): void {
  db.insert(auditLog).values(row).run();
}

export function listAuditRowsAfter(db: Queryable, afterId: number, limit: number): AuditRow[] {
  return db.select().from(auditLog).where(gt(auditLog.id, afterId)).orderBy(asc(auditLog.id)).limit(limit).all();
}

export interface AuditFilter {
  actor?: string;
  actionPrefix?: string;
  from?: number;
  to?: number;
}

export function searchAuditRows(db: Queryable, f: AuditFilter, limit: number): AuditRow[] {
  const conditions: SQL[] = [];
  if (f.actor) conditions.push(eq(auditLog.actor, f.actor));
  if (f.actionPrefix) conditions.push(like(auditLog.action, `${f.actionPrefix.replace(/[%_\\]/g, "")}%`));
  if (f.from !== undefined) conditions.push(gte(auditLog.at, f.from));
  if (f.to !== undefined) conditions.push(lt(auditLog.at, f.to));
  return db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.id)).limit(limit).all();
}
