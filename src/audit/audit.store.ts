import { and, asc, desc, eq, gt, gte, like, lt, sql, type SQL } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";

export type AuditRow = typeof auditLog.$inferSelect;

export function lastAuditRow(db: Queryable): Pick<AuditRow, "id" | "mac"> | null {
  return db.select({ id: auditLog.id, mac: auditLog.mac }).from(auditLog).orderBy(desc(auditLog.id)).limit(1).get() ?? null;
}

export function auditRowMac(db: Queryable, id: number): Uint8Array | null {
  return db.select({ mac: auditLog.mac }).from(auditLog).where(eq(auditLog.id, id)).get()?.mac ?? null;
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

/** The triggers of migration 0001 that make the database refuse to change or remove an entry. */
const APPEND_ONLY_TRIGGERS: Readonly<Record<string, string>> = {
  audit_log_no_update: "CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log`\nBEGIN\n\tSELECT RAISE(ABORT, 'audit_log is append-only');\nEND",
  audit_log_no_delete: "CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log`\nBEGIN\n\tSELECT RAISE(ABORT, 'audit_log is append-only');\nEND",
};
const normalized = (text: string) => text.replace(/[`"]/g, "").replace(/\s+/g, " ").trim().toLowerCase();

/** The append-only triggers that are missing or no longer say what migration 0001 wrote. */
export function listBrokenAppendOnlyTriggers(db: Queryable): string[] {
  const rows = db.all<{ name: string; sql: string | null }>(sql`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'`);
  const present = new Map(rows.map((r) => [r.name, normalized(r.sql ?? "")]));
  return Object.entries(APPEND_ONLY_TRIGGERS)
    .filter(([name, text]) => present.get(name) !== normalized(text))
    .map(([name]) => name);
}

export function recreateAppendOnlyTriggers(db: Queryable, names: readonly string[]): void {
  for (const name of names) {
    const text = APPEND_ONLY_TRIGGERS[name];
    if (!text) continue;
    db.run(sql.raw(`DROP TRIGGER IF EXISTS \`${name}\``));
    db.run(sql.raw(text));
  }
}
