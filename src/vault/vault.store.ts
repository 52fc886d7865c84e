import { and, count, eq, isNotNull, ne, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { dataKeys } from "../db/schema.ts";

export interface StoredDataKey {
  subject: string;
  kekId: string;
  wrapped: Uint8Array | null;
}

export function getDataKey(db: Queryable, subject: string): StoredDataKey | null {
  const row = db.select().from(dataKeys).where(eq(dataKeys.subject, subject)).get();
  return row ? { subject: row.subject, kekId: row.kekId, wrapped: row.wrapped } : null;
}

export function insertDataKey(db: Queryable, subject: string, kekId: string, wrapped: Uint8Array): void {
  db.insert(dataKeys).values({ subject, kekId, wrapped: Buffer.from(wrapped), createdAt: Date.now() }).run();
}

/** The KEK ids that live data keys are wrapped by, with how many each. */
export function countLiveKeysByKek(db: Queryable): Map<string, number> {
  const rows = db.select({ kekId: dataKeys.kekId, subject: dataKeys.subject }).from(dataKeys).where(isNotNull(dataKeys.wrapped)).all();
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.kekId, (counts.get(r.kekId) ?? 0) + 1);
  return counts;
}

export function listLiveKeysNotUnder(db: Queryable, kekId: string, limit: number): StoredDataKey[] {
  return db
    .select({ subject: dataKeys.subject, kekId: dataKeys.kekId, wrapped: dataKeys.wrapped })
    .from(dataKeys)
    .where(and(ne(dataKeys.kekId, kekId), isNotNull(dataKeys.wrapped)))
    .limit(limit)
    .all();
}

/** Re-wraps one key, but only if nobody changed it since it was read (a concurrent rotation or erasure). */
export function replaceWrapping(db: Queryable, key: StoredDataKey, kekId: string, wrapped: Uint8Array): boolean {
  const changed = db
    .update(dataKeys)
    .set({ kekId, wrapped: Buffer.from(wrapped) })
    .where(and(eq(dataKeys.subject, key.subject), eq(dataKeys.kekId, key.kekId), isNotNull(dataKeys.wrapped)))
    .returning({ subject: dataKeys.subject })
    .all();
  return changed.length === 1;
}

export function destroyDataKey(db: Queryable, subject: string): void {
  db.update(dataKeys).set({ wrapped: null, destroyedAt: Date.now() }).where(eq(dataKeys.subject, subject)).run();
}

/** Whether the schema present has the data_keys table yet (a fresh database has no tables). */
export function hasDataKeysTable(db: Queryable): boolean {
  return db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'data_keys'`).length > 0;
}

export function countLiveKeysUnder(db: Queryable, kekId: string): number {
  return db.select({ n: count() }).from(dataKeys).where(and(eq(dataKeys.kekId, kekId), isNotNull(dataKeys.wrapped))).get()?.n ?? 0;
}
