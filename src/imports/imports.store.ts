import { eq, lt } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { csvImports } from "../db/schema.ts";

export type UploadRow = typeof csvImports.$inferSelect;

export function insertUploadRow(db: Queryable, row: UploadRow): void {
  db.insert(csvImports).values(row).run();
}

export function getUploadRow(db: Queryable, id: string): UploadRow | null {
  return db.select().from(csvImports).where(eq(csvImports.id, id)).get() ?? null;
}

export function deleteUploadRow(db: Queryable, id: string): boolean {
  return db.delete(csvImports).where(eq(csvImports.id, id)).returning({ id: csvImports.id }).all().length > 0;
}

/** Removes the uploads made before `before`; how many. */
export function deleteUploadRowsBefore(db: Queryable, before: number): number {
  return db.delete(csvImports).where(lt(csvImports.createdAt, before)).returning({ id: csvImports.id }).all().length;
}
