// Read-only queries of the audit log for the accountability reports. Writes to the log go through src/audit alone.
import { and, asc, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";

export type AuditLogRow = Omit<typeof auditLog.$inferSelect, "mac">;

/** SQLite's default limit on bound parameters is 32,766; a client has far fewer appointments than one batch. */
const IN_BATCH = 500;

/** Entries with one of `actions` about one of `targets`, at in [from, to), oldest first, at most `limit`. */
export function listAuditRowsAbout(db: Queryable, q: { actions: readonly string[]; targets: readonly string[]; from: number; to: number; limit: number }): AuditLogRow[] {
  if (q.actions.length === 0 || q.targets.length === 0) return [];
  const batches: SQL[] = [];
  for (let i = 0; i < q.targets.length; i += IN_BATCH) batches.push(inArray(auditLog.target, q.targets.slice(i, i + IN_BATCH)));
  return db
    .select({ id: auditLog.id, at: auditLog.at, actor: auditLog.actor, action: auditLog.action, target: auditLog.target, details: auditLog.details })
    .from(auditLog)
    .where(and(gte(auditLog.at, q.from), lt(auditLog.at, q.to), inArray(auditLog.action, [...q.actions]), or(...batches)))
    .orderBy(asc(auditLog.at), asc(auditLog.id))
    .limit(q.limit)
    .all();
}
