import { asc, desc, gt } from "drizzle-orm";
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
