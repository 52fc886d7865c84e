import { inArray, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { meta } from "../db/schema.ts";

export function readMeta(db: Queryable, keys: readonly string[]): Map<string, string> {
  const rows = db.select().from(meta).where(inArray(meta.key, [...keys])).all();
  return new Map(rows.map((r) => [r.key, r.value]));
}

export function writeMeta(db: Queryable, values: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value: sql`excluded.value` } }).run();
  }
}

export function deleteMeta(db: Queryable, keys: readonly string[]): void {
  db.delete(meta).where(inArray(meta.key, [...keys])).run();
}
