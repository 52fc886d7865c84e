// The incident register's rows. Sealed columns arrive and leave as bytes; incidents.ts seals and opens them.
import { desc, eq } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { incidents } from "../db/schema.ts";

export type IncidentRow = typeof incidents.$inferSelect;

export function insertIncidentRow(db: Queryable, row: IncidentRow): void {
  db.insert(incidents).values(row).run();
}

export function getIncidentRow(db: Queryable, id: string): IncidentRow | null {
  return db.select().from(incidents).where(eq(incidents.id, id)).get() ?? null;
}

/** Newest discovery first. */
export function listIncidentRows(db: Queryable): IncidentRow[] {
  return db.select().from(incidents).orderBy(desc(incidents.discoveredAt)).all();
}

export function updateIncidentRow(db: Queryable, id: string, set: Partial<Omit<IncidentRow, "id" | "createdBy" | "createdAt">>): void {
  db.update(incidents).set(set).where(eq(incidents.id, id)).run();
}
