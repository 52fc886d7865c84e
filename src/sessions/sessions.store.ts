import { and, eq, lt, ne, or } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { sessions } from "../db/schema.ts";

export type SessionRow = typeof sessions.$inferSelect;

export function insertSession(db: Queryable, row: SessionRow): void {
  db.insert(sessions).values(row).run();
}

export function getSessionByTokenHash(db: Queryable, tokenHash: Uint8Array): SessionRow | null {
  return db.select().from(sessions).where(eq(sessions.tokenHash, Buffer.from(tokenHash))).get() ?? null;
}

export function touchSession(db: Queryable, handle: string, lastSeenAt: number): void {
  db.update(sessions).set({ lastSeenAt }).where(eq(sessions.handle, handle)).run();
}

export function setSessionReauth(db: Queryable, handle: string, at: number): void {
  db.update(sessions).set({ reauthAt: at }).where(eq(sessions.handle, handle)).run();
}

/** Deletes the session; returns whose it was, or null when there was none. */
export function deleteSession(db: Queryable, handle: string): string | null {
  return db.delete(sessions).where(eq(sessions.handle, handle)).returning({ personId: sessions.personId }).get()?.personId ?? null;
}

export function deleteSessionOfPerson(db: Queryable, personId: string, handle: string): boolean {
  const gone = db
    .delete(sessions)
    .where(and(eq(sessions.personId, personId), eq(sessions.handle, handle)))
    .returning({ handle: sessions.handle })
    .all();
  return gone.length === 1;
}

export function sessionExists(db: Queryable, handle: string): boolean {
  return db.select({ handle: sessions.handle }).from(sessions).where(eq(sessions.handle, handle)).get() !== undefined;
}

export function deletePersonSessions(db: Queryable, personId: string, keepHandle: string | null): number {
  const where = keepHandle === null ? eq(sessions.personId, personId) : and(eq(sessions.personId, personId), ne(sessions.handle, keepHandle));
  return db.delete(sessions).where(where).returning({ handle: sessions.handle }).all().length;
}

export function listPersonSessionRows(db: Queryable, personId: string): SessionRow[] {
  return db.select().from(sessions).where(eq(sessions.personId, personId)).all();
}

export function deleteExpiredSessions(db: Queryable, now: number, idleBefore: number): number {
  return db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleBefore)))
    .returning({ handle: sessions.handle })
    .all().length;
}
