// What a data export reads, page by page. The export is the one reader of every table that holds a person's data, so
// it reads them here rather than through each domain's service: those load whole lists into memory, and an export
// must stream (export.ts). Sealed values come out sealed; export.ts opens them.
import { and, asc, count, desc, eq, gt, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { appointments, clientNotes, clientNoteVersions, consentDocuments, consentLedger, intakeResponses, roomFiles, roomMessages, roomParticipants, rooms, services } from "../db/schema.ts";

export function listAppointmentPage(db: Queryable, clientId: string, offset: number, limit: number) {
  return db
    .select({
      id: appointments.id,
      startAt: appointments.startAt,
      endAt: appointments.endAt,
      status: appointments.status,
      specialistId: appointments.specialistId,
      serviceEn: services.nameEn,
      serviceRu: services.nameRu,
      mode: services.mode,
      cancelledAt: appointments.cancelledAt,
      cancelReason: appointments.cancelReason,
      createdAt: appointments.createdAt,
    })
    .from(appointments)
    .innerJoin(services, eq(services.id, appointments.serviceId))
    .where(eq(appointments.clientId, clientId))
    .orderBy(asc(appointments.startAt), asc(appointments.id))
    .limit(limit)
    .offset(offset)
    .all();
}

export function countAppointmentsOf(db: Queryable, clientId: string): number {
  return db.select({ n: count() }).from(appointments).where(eq(appointments.clientId, clientId)).get()?.n ?? 0;
}

/**
 * The rooms of the person's consultations: their appointments' rooms, rooms sealed under their key, and rooms they
 * were admitted to. In the first two everything is theirs; in the others (an ad-hoc room, another client's
 * appointment) only what they wrote or shared: the `...IsTheirs` conditions keep the rest, someone else's data, out.
 */
export function roomIdsOf(db: Queryable, personId: string): string[] {
  const booked = db.selectDistinct({ id: appointments.roomId }).from(appointments).where(and(eq(appointments.clientId, personId), isNotNull(appointments.roomId))).all();
  const sealedUnder = db.select({ id: rooms.id }).from(rooms).where(eq(rooms.subject, personId)).all();
  const admitted = db.select({ id: roomParticipants.roomId }).from(roomParticipants).where(and(eq(roomParticipants.personId, personId), isNotNull(roomParticipants.admittedAt))).all();
  return [...new Set([...booked, ...sealedUnder, ...admitted].map((r) => r.id!))].sort();
}

const messageIsTheirs = (personId: string) => or(eq(rooms.subject, personId), eq(roomMessages.authorId, personId));
const fileIsTheirs = (personId: string) => or(eq(rooms.subject, personId), eq(roomFiles.uploaderId, personId));

export function listMessagePage(db: Queryable, personId: string, roomIds: readonly string[], afterId: number, limit: number) {
  if (roomIds.length === 0) return [];
  return db
    .select({ id: roomMessages.id, roomId: roomMessages.roomId, authorId: roomMessages.authorId, at: roomMessages.at, body: roomMessages.body, subject: rooms.subject })
    .from(roomMessages)
    .innerJoin(rooms, eq(rooms.id, roomMessages.roomId))
    .where(and(inArray(roomMessages.roomId, [...roomIds]), gt(roomMessages.id, afterId), messageIsTheirs(personId)))
    .orderBy(asc(roomMessages.id))
    .limit(limit)
    .all();
}

export function countMessagesIn(db: Queryable, personId: string, roomIds: readonly string[]): number {
  if (roomIds.length === 0) return 0;
  return db.select({ n: count() }).from(roomMessages).innerJoin(rooms, eq(rooms.id, roomMessages.roomId)).where(and(inArray(roomMessages.roomId, [...roomIds]), messageIsTheirs(personId))).get()?.n ?? 0;
}

/** File rows (not bytes: those are on disk) of the rooms, oldest first. A person has at most hundreds: one list. */
export function listFileRowsIn(db: Queryable, personId: string, roomIds: readonly string[]) {
  if (roomIds.length === 0) return [];
  return db
    .select({ id: roomFiles.id, roomId: roomFiles.roomId, uploaderId: roomFiles.uploaderId, name: roomFiles.name, mime: roomFiles.mime, size: roomFiles.size, createdAt: roomFiles.createdAt, subject: rooms.subject })
    .from(roomFiles)
    .innerJoin(rooms, eq(rooms.id, roomFiles.roomId))
    .where(and(inArray(roomFiles.roomId, [...roomIds]), fileIsTheirs(personId)))
    .orderBy(asc(roomFiles.createdAt), asc(roomFiles.id))
    .all();
}

/** The person's consent ledger with the words of each version they gave or withdrew. */
export function listConsentRowsOf(db: Queryable, personId: string) {
  return db
    .select({ id: consentLedger.id, purpose: consentLedger.purpose, version: consentLedger.version, action: consentLedger.action, method: consentLedger.method, recordedBy: consentLedger.recordedBy, at: consentLedger.at, textEn: consentDocuments.textEn, textRu: consentDocuments.textRu })
    .from(consentLedger)
    .leftJoin(consentDocuments, and(eq(consentDocuments.purpose, consentLedger.purpose), eq(consentDocuments.version, consentLedger.version)))
    .where(eq(consentLedger.personId, personId))
    .orderBy(asc(consentLedger.id))
    .all();
}

export function listIntakeRowsOf(db: Queryable, clientId: string) {
  return db.select().from(intakeResponses).where(eq(intakeResponses.clientId, clientId)).orderBy(asc(intakeResponses.submittedAt)).all();
}

/** Finalised notes about the client with their last version (the signed-off text); drafts and open notes are not read. */
export function listFinalisedNoteRowsOf(db: Queryable, clientId: string) {
  return db
    .select({ id: clientNotes.id, authorId: clientNotes.authorId, appointmentId: clientNotes.appointmentId, addendumTo: clientNotes.addendumTo, createdAt: clientNotes.createdAt, finalisedAt: clientNotes.finalisedAt, version: clientNoteVersions.version, body: clientNoteVersions.body })
    .from(clientNotes)
    .innerJoin(clientNoteVersions, eq(clientNoteVersions.noteId, clientNotes.id))
    .where(
      and(
        eq(clientNotes.clientId, clientId),
        isNotNull(clientNotes.finalisedAt),
        eq(clientNoteVersions.version, sql`(SELECT max(v.version) FROM client_note_versions v WHERE v.note_id = ${clientNotes.id})`),
      ),
    )
    .orderBy(desc(clientNotes.createdAt))
    .all();
}
