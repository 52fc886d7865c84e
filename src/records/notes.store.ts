import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { clientNotes, clientNoteVersions } from "../db/schema.ts";

export type NoteRow = typeof clientNotes.$inferSelect;
export type NoteVersionRow = typeof clientNoteVersions.$inferSelect;

export function insertNote(db: Queryable, row: NoteRow): void {
  db.insert(clientNotes).values(row).run();
}

export function getNoteRow(db: Queryable, id: string): NoteRow | null {
  return db.select().from(clientNotes).where(eq(clientNotes.id, id)).get() ?? null;
}

/** A client's notes, newest first, each with how many versions it has. */
export function listNoteRowsOfClient(db: Queryable, clientId: string): (NoteRow & { versions: number })[] {
  return db
    .select({ note: clientNotes, versions: sql<number>`(SELECT count(*) FROM client_note_versions v WHERE v.note_id = ${clientNotes.id})` })
    .from(clientNotes)
    .where(eq(clientNotes.clientId, clientId))
    .orderBy(desc(clientNotes.createdAt), desc(clientNotes.id))
    .all()
    .map((r) => ({ ...r.note, versions: r.versions }));
}

export function insertNoteVersion(db: Queryable, row: NoteVersionRow): void {
  db.insert(clientNoteVersions).values(row).run();
}

/** Oldest first. */
export function listNoteVersionRows(db: Queryable, noteId: string): NoteVersionRow[] {
  return db.select().from(clientNoteVersions).where(eq(clientNoteVersions.noteId, noteId)).orderBy(asc(clientNoteVersions.version)).all();
}

export function latestNoteVersionRow(db: Queryable, noteId: string): NoteVersionRow | null {
  return db.select().from(clientNoteVersions).where(eq(clientNoteVersions.noteId, noteId)).orderBy(desc(clientNoteVersions.version)).limit(1).get() ?? null;
}

export function setNoteDraft(db: Queryable, id: string, draft: Buffer | null, draftAt: number | null): void {
  db.update(clientNotes).set({ draft, draftAt }).where(eq(clientNotes.id, id)).run();
}

export function setNoteFinalised(db: Queryable, id: string, at: number): void {
  db.update(clientNotes).set({ finalisedAt: at, draft: null, draftAt: null }).where(eq(clientNotes.id, id)).run();
}

/** The author's latest note tied to this appointment that is not finalised yet, if any. */
export function openNoteRowOfAppointment(db: Queryable, authorId: string, appointmentId: string): NoteRow | null {
  return (
    db
      .select()
      .from(clientNotes)
      .where(and(eq(clientNotes.authorId, authorId), eq(clientNotes.appointmentId, appointmentId), isNull(clientNotes.finalisedAt)))
      .orderBy(desc(clientNotes.createdAt))
      .limit(1)
      .get() ?? null
  );
}
