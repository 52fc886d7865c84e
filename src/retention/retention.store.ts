// The only place retention touches drizzle: legal holds, restrictions of processing, and the expired rows the daily
// job purges. Every purge query takes the cut-off times from the caller; none reads a clock.
import { and, eq, gt, inArray, isNotNull, isNull, lt, max, ne, notExists, or, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { appointments, clientNotes, clientNoteVersions, dataKeys, intakeResponses, jobs, legalHolds, processingRestrictions, roomFiles, roomMessages, rooms, sessions } from "../db/schema.ts";

export type HoldRow = typeof legalHolds.$inferSelect;
export type RestrictionRow = typeof processingRestrictions.$inferSelect;

// ── legal holds ──

export function insertHold(db: Queryable, row: HoldRow): void {
  db.insert(legalHolds).values(row).run();
}

export function listHoldRows(db: Queryable, personId: string): HoldRow[] {
  return db.select().from(legalHolds).where(eq(legalHolds.personId, personId)).orderBy(legalHolds.createdAt).all();
}

/** Holds standing at `now`: not released, and without an end or ending later. */
export function activeHoldRows(db: Queryable, personId: string, now: number): HoldRow[] {
  return db
    .select()
    .from(legalHolds)
    .where(and(eq(legalHolds.personId, personId), isNull(legalHolds.releasedAt), or(isNull(legalHolds.until), gt(legalHolds.until, now))))
    .all();
}

/** Every person with a hold standing at `now`, and the record types held for them. */
export function activeHoldTypes(db: Queryable, now: number): Map<string, Set<string>> {
  const rows = db
    .select({ personId: legalHolds.personId, recordType: legalHolds.recordType })
    .from(legalHolds)
    .where(and(isNull(legalHolds.releasedAt), or(isNull(legalHolds.until), gt(legalHolds.until, now))))
    .all();
  const out = new Map<string, Set<string>>();
  for (const r of rows) out.set(r.personId, (out.get(r.personId) ?? new Set()).add(r.recordType));
  return out;
}

export function releaseHoldRow(db: Queryable, personId: string, holdId: string, at: number, by: string): boolean {
  return (
    db
      .update(legalHolds)
      .set({ releasedAt: at, releasedBy: by })
      .where(and(eq(legalHolds.id, holdId), eq(legalHolds.personId, personId), isNull(legalHolds.releasedAt)))
      .returning({ id: legalHolds.id })
      .all().length === 1
  );
}

// ── restriction of processing ──

export function restrictionRow(db: Queryable, personId: string): RestrictionRow | null {
  return db.select().from(processingRestrictions).where(eq(processingRestrictions.personId, personId)).get() ?? null;
}

/** Removes the person's restriction; returns the row removed, or null when none stood. */
export function deleteRestriction(db: Queryable, personId: string): RestrictionRow | null {
  return db.delete(processingRestrictions).where(eq(processingRestrictions.personId, personId)).returning().get() ?? null;
}

/** Inserts the restriction unless one stands; returns whether it was new. */
export function insertRestriction(db: Queryable, row: RestrictionRow): boolean {
  return db.insert(processingRestrictions).values(row).onConflictDoNothing().returning({ p: processingRestrictions.personId }).all().length === 1;
}

// ── what a client's records are, for "keep at least" ──

/** The end of the client's last appointment that was not cancelled; null: none. */
export function lastAppointmentEnd(db: Queryable, clientId: string): number | null {
  return db.select({ at: max(appointments.endAt) }).from(appointments).where(and(eq(appointments.clientId, clientId), ne(appointments.status, "cancelled"))).get()?.at ?? null;
}

/** The time of the client's newest record of each type; absent: the client has none. */
export function newestRecordTimes(db: Queryable, clientId: string): Partial<Record<"notes" | "chat" | "files" | "intake", number>> {
  const out: Partial<Record<"notes" | "chat" | "files" | "intake", number>> = {};
  // A note edited or autosaved lately is recent, however old the note: its newest version or draft counts.
  const theirNotes = db.select({ id: clientNotes.id }).from(clientNotes).where(eq(clientNotes.clientId, clientId));
  const noteTimes = [
    db.select({ at: max(clientNotes.createdAt) }).from(clientNotes).where(eq(clientNotes.clientId, clientId)).get()?.at,
    db.select({ at: max(clientNotes.draftAt) }).from(clientNotes).where(eq(clientNotes.clientId, clientId)).get()?.at,
    db.select({ at: max(clientNoteVersions.createdAt) }).from(clientNoteVersions).where(inArray(clientNoteVersions.noteId, theirNotes)).get()?.at,
  ].filter((t): t is number => t != null);
  const notes = noteTimes.length > 0 ? Math.max(...noteTimes) : null;
  const theirRooms = db.select({ id: rooms.id }).from(rooms).where(eq(rooms.subject, clientId));
  const chat = db.select({ at: max(roomMessages.at) }).from(roomMessages).where(inArray(roomMessages.roomId, theirRooms)).get()?.at;
  const files = db.select({ at: max(roomFiles.createdAt) }).from(roomFiles).where(inArray(roomFiles.roomId, theirRooms)).get()?.at;
  const intake = db.select({ at: max(intakeResponses.updatedAt) }).from(intakeResponses).where(eq(intakeResponses.clientId, clientId)).get()?.at;
  if (notes != null) out.notes = notes;
  if (chat != null) out.chat = chat;
  if (files != null) out.files = files;
  if (intake != null) out.intake = intake;
  return out;
}

// ── what the daily job purges ──

/**
 * Rooms whose call ended before `before`, with the subject whose key seals them (a client, or "org"): closed before
 * it, or never closed (everyone left, a no-show, an ad-hoc room nobody ended) and expired before it. An expired room
 * admits nobody (rooms.ts isRoomLive: open and not yet expired), so none of these is live; a room whose appointment is
 * still booked and not over at `now` is left alone all the same, as its call may yet happen.
 */
export function roomsEndedBefore(db: Queryable, before: number, now: number): { id: string; subject: string }[] {
  const appointmentAhead = db
    .select({ one: sql`1` })
    .from(appointments)
    .where(and(eq(appointments.roomId, rooms.id), eq(appointments.status, "booked"), gt(appointments.endAt, now)));
  return db
    .select({ id: rooms.id, subject: rooms.subject })
    .from(rooms)
    .where(
      or(
        and(eq(rooms.state, "closed"), isNotNull(rooms.closedAt), lt(rooms.closedAt, before)),
        and(eq(rooms.state, "open"), lt(rooms.expiresAt, before), lt(rooms.expiresAt, now), notExists(appointmentAhead)),
      ),
    )
    .all();
}

export function deleteRoomMessages(db: Queryable, roomIds: readonly string[]): number {
  if (roomIds.length === 0) return 0;
  return db.delete(roomMessages).where(inArray(roomMessages.roomId, [...roomIds])).returning({ id: roomMessages.id }).all().length;
}

export function countRoomMessages(db: Queryable, roomIds: readonly string[]): number {
  if (roomIds.length === 0) return 0;
  return db.select({ n: sql<number>`count(*)` }).from(roomMessages).where(inArray(roomMessages.roomId, [...roomIds])).get()?.n ?? 0;
}

/** Deletes the rooms' file rows; returns their ids, whose sealed bytes the caller removes from disk. */
export function deleteRoomFiles(db: Queryable, roomIds: readonly string[]): string[] {
  if (roomIds.length === 0) return [];
  return db.delete(roomFiles).where(inArray(roomFiles.roomId, [...roomIds])).returning({ id: roomFiles.id }).all().map((r) => r.id);
}

export function countRoomFiles(db: Queryable, roomIds: readonly string[]): number {
  if (roomIds.length === 0) return 0;
  return db.select({ n: sql<number>`count(*)` }).from(roomFiles).where(inArray(roomFiles.roomId, [...roomIds])).get()?.n ?? 0;
}

export function roomFileIds(db: Queryable): Set<string> {
  return new Set(db.select({ id: roomFiles.id }).from(roomFiles).all().map((r) => r.id));
}

/** Finished mail and other jobs (done, failed, cancelled) that finished before `before`. */
export function deleteFinishedJobsBefore(db: Queryable, before: number): number {
  return db
    .delete(jobs)
    .where(and(inArray(jobs.status, ["done", "failed", "cancelled"]), isNotNull(jobs.finishedAt), lt(jobs.finishedAt, before)))
    .returning({ id: jobs.id })
    .all().length;
}

/** Sessions expired at `now`, or not used since `idleBefore`. */
export function deleteOldSessions(db: Queryable, now: number, idleBefore: number): number {
  return db.delete(sessions).where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleBefore))).returning({ h: sessions.handle }).all().length;
}

/**
 * Intake answers whose last change and whose appointment's end both lie before `before`, with their client: answers
 * for an appointment still ahead are what the specialist reads before the call, so they are never purged while it is
 * booked and not over at `now`, however long ago they were written.
 */
export function intakeBefore(db: Queryable, before: number, now: number): { appointmentId: string; clientId: string }[] {
  return db
    .select({ appointmentId: intakeResponses.appointmentId, clientId: intakeResponses.clientId })
    .from(intakeResponses)
    .innerJoin(appointments, eq(appointments.id, intakeResponses.appointmentId))
    .where(
      and(
        lt(intakeResponses.updatedAt, before),
        lt(appointments.endAt, before),
        or(ne(appointments.status, "booked"), lt(appointments.endAt, now)),
      ),
    )
    .all();
}

export function deleteIntake(db: Queryable, appointmentIds: readonly string[]): number {
  if (appointmentIds.length === 0) return 0;
  return db.delete(intakeResponses).where(inArray(intakeResponses.appointmentId, [...appointmentIds])).returning({ a: intakeResponses.appointmentId }).all().length;
}

/** Clients who have notes, with the note count: the candidates for the notes' purge. */
export function clientsWithNotes(db: Queryable): { clientId: string; notes: number }[] {
  return db.select({ clientId: clientNotes.clientId, notes: sql<number>`count(*)` }).from(clientNotes).groupBy(clientNotes.clientId).all();
}

/** Deletes the clients' notes; their versions go with them (ON DELETE CASCADE). */
export function deleteNotesOf(db: Queryable, clientIds: readonly string[]): number {
  if (clientIds.length === 0) return 0;
  return db.delete(clientNotes).where(inArray(clientNotes.clientId, [...clientIds])).returning({ id: clientNotes.id }).all().length;
}

/** Whether the person's key is destroyed (erased); mirrors privacy/erasure.ts isErased for a set at once. */
export function erasedAmong(db: Queryable, ids: readonly string[]): Set<string> {
  if (ids.length === 0) return new Set();
  return new Set(
    db
      .select({ s: dataKeys.subject })
      .from(dataKeys)
      .where(and(inArray(dataKeys.subject, [...ids]), isNull(dataKeys.wrapped), isNotNull(dataKeys.destroyedAt)))
      .all()
      .map((r) => r.s),
  );
}
