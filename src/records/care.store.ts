import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { breakGlassGrants, clientNotes, meta, supervisions } from "../db/schema.ts";

export type SupervisionRow = typeof supervisions.$inferSelect;
export type GrantRow = typeof breakGlassGrants.$inferSelect;

const BREAK_GLASS_MINUTES_KEY = "records.breakGlassMinutes";

/** True when the pair is new. */
export function insertSupervision(db: Queryable, row: SupervisionRow): boolean {
  return db.insert(supervisions).values(row).onConflictDoNothing().returning().all().length > 0;
}

/** True when the pair existed. */
export function deleteSupervision(db: Queryable, supervisorId: string, specialistId: string): boolean {
  return db.delete(supervisions).where(and(eq(supervisions.supervisorId, supervisorId), eq(supervisions.specialistId, specialistId))).returning().all().length > 0;
}

export function listSupervisionRows(db: Queryable): SupervisionRow[] {
  return db.select().from(supervisions).orderBy(supervisions.createdAt).all();
}

/** The specialists this person supervises. */
export function superviseesOf(db: Queryable, supervisorId: string): string[] {
  return db.select({ id: supervisions.specialistId }).from(supervisions).where(eq(supervisions.supervisorId, supervisorId)).all().map((r) => r.id);
}

export function isSupervisorOf(db: Queryable, supervisorId: string, specialistId: string): boolean {
  return db.select({ n: sql<number>`1` }).from(supervisions).where(and(eq(supervisions.supervisorId, supervisorId), eq(supervisions.specialistId, specialistId))).get() !== undefined;
}

/** Who wrote notes about this client. */
export function noteAuthorsAbout(db: Queryable, clientId: string): string[] {
  return db.selectDistinct({ id: clientNotes.authorId }).from(clientNotes).where(eq(clientNotes.clientId, clientId)).all().map((r) => r.id);
}

/** The clients this person wrote notes about. */
export function clientsNotedBy(db: Queryable, authorId: string): string[] {
  return db.selectDistinct({ id: clientNotes.clientId }).from(clientNotes).where(eq(clientNotes.authorId, authorId)).all().map((r) => r.id);
}

export function insertGrant(db: Queryable, row: GrantRow): void {
  db.insert(breakGlassGrants).values(row).run();
}

export function getGrant(db: Queryable, id: string): GrantRow | null {
  return db.select().from(breakGlassGrants).where(eq(breakGlassGrants.id, id)).get() ?? null;
}

/** The grant of this person on this client still running at `now`, the latest to expire first. */
export function activeGrant(db: Queryable, staffId: string, clientId: string, now: number): GrantRow | null {
  return (
    db
      .select()
      .from(breakGlassGrants)
      .where(and(eq(breakGlassGrants.staffId, staffId), eq(breakGlassGrants.clientId, clientId), gt(breakGlassGrants.expiresAt, now)))
      .orderBy(desc(breakGlassGrants.expiresAt))
      .limit(1)
      .get() ?? null
  );
}

/** Newest first. */
export function listGrantRows(db: Queryable, limit: number): GrantRow[] {
  return db.select().from(breakGlassGrants).orderBy(desc(breakGlassGrants.createdAt), desc(breakGlassGrants.id)).limit(limit).all();
}

export function countUnreviewedGrants(db: Queryable): number {
  return db.select({ n: sql<number>`count(*)` }).from(breakGlassGrants).where(isNull(breakGlassGrants.reviewedAt)).get()?.n ?? 0;
}

/** True when the grant existed and was not reviewed yet: a verdict is given once. */
export function setVerdict(db: Queryable, id: string, verdict: "justified" | "unjustified", by: string, at: number): boolean {
  return (
    db
      .update(breakGlassGrants)
      .set({ verdict, reviewedBy: by, reviewedAt: at })
      .where(and(eq(breakGlassGrants.id, id), isNull(breakGlassGrants.reviewedAt)))
      .returning()
      .all().length > 0
  );
}

export function readBreakGlassMinutes(db: Queryable): number | null {
  const v = db.select().from(meta).where(eq(meta.key, BREAK_GLASS_MINUTES_KEY)).get()?.value;
  return v === undefined ? null : Number(v);
}

export function writeBreakGlassMinutes(db: Queryable, minutes: number): void {
  db.insert(meta).values({ key: BREAK_GLASS_MINUTES_KEY, value: String(minutes) }).onConflictDoUpdate({ target: meta.key, set: { value: sql`excluded.value` } }).run();
}
