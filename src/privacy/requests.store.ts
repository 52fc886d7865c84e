import { and, asc, count, desc, eq, isNull, ne } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { meta, privacyRequests } from "../db/schema.ts";

export type RequestRow = typeof privacyRequests.$inferSelect;

export function insertRequestRow(db: Queryable, row: typeof privacyRequests.$inferInsert): void {
  db.insert(privacyRequests).values(row).run();
}

export function getRequestRow(db: Queryable, id: string): RequestRow | null {
  return db.select().from(privacyRequests).where(eq(privacyRequests.id, id)).get() ?? null;
}

/** Open requests, the nearest deadline first. */
export function listOpenRequestRows(db: Queryable): RequestRow[] {
  return db.select().from(privacyRequests).where(eq(privacyRequests.status, "open")).orderBy(asc(privacyRequests.dueAt), asc(privacyRequests.receivedAt)).all();
}

/** Closed requests, the latest closed first, at most `limit`. */
export function listClosedRequestRows(db: Queryable, limit: number): RequestRow[] {
  return db.select().from(privacyRequests).where(ne(privacyRequests.status, "open")).orderBy(desc(privacyRequests.closedAt)).limit(limit).all();
}

/** A person's requests, newest first. */
export function listRequestRowsOf(db: Queryable, personId: string): RequestRow[] {
  return db.select().from(privacyRequests).where(eq(privacyRequests.personId, personId)).orderBy(desc(privacyRequests.receivedAt), desc(privacyRequests.id)).all();
}

export function countOpenRequestRows(db: Queryable): number {
  return db.select({ n: count() }).from(privacyRequests).where(eq(privacyRequests.status, "open")).get()?.n ?? 0;
}

/** Closes an open request; false when it was not open (closed meanwhile by someone else). */
export function closeRequestRow(db: Queryable, id: string, set: Pick<RequestRow, "status" | "outcome" | "closedAt" | "closedBy">): boolean {
  return db.update(privacyRequests).set(set).where(and(eq(privacyRequests.id, id), eq(privacyRequests.status, "open"))).returning({ id: privacyRequests.id }).all().length === 1;
}

/** Moves an open request's deadline (an extension); false when it was not open. */
/** Moves an open, never extended request's deadline, keeping the one it had; false when it is closed or was extended. */
export function extendRequestDueAt(db: Queryable, id: string, from: number, dueAt: number): boolean {
  return (
    db
      .update(privacyRequests)
      .set({ dueAt, extendedFrom: from })
      .where(and(eq(privacyRequests.id, id), eq(privacyRequests.status, "open"), isNull(privacyRequests.extendedFrom)))
      .returning({ id: privacyRequests.id })
      .all().length === 1
  );
}

const DEFAULT_LAW_KEY = "privacy.defaultLaw";

export function readDefaultLaw(db: Queryable): string | null {
  return db.select({ value: meta.value }).from(meta).where(eq(meta.key, DEFAULT_LAW_KEY)).get()?.value ?? null;
}

export function writeDefaultLaw(db: Queryable, law: string): void {
  db.insert(meta).values({ key: DEFAULT_LAW_KEY, value: law }).onConflictDoUpdate({ target: meta.key, set: { value: law } }).run();
}
