import { and, asc, desc, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { roomFiles, roomMessages, roomParticipants, rooms } from "../db/schema.ts";

export type RoomRow = typeof rooms.$inferSelect;

export function insertRoom(db: Queryable, row: RoomRow): void {
  db.insert(rooms).values(row).run();
}

export function getRoomRow(db: Queryable, id: string): RoomRow | null {
  return db.select().from(rooms).where(eq(rooms.id, id)).get() ?? null;
}

export function getRoomRowByInvite(db: Queryable, inviteHash: Uint8Array): RoomRow | null {
  return db.select().from(rooms).where(eq(rooms.inviteHash, Buffer.from(inviteHash))).get() ?? null;
}

export function listRoomRowsOwnedBy(db: Queryable, ownerId: string): RoomRow[] {
  return db.select().from(rooms).where(and(eq(rooms.ownerId, ownerId), eq(rooms.state, "open"))).orderBy(desc(rooms.createdAt)).all();
}

export function closeRoomRow(db: Queryable, id: string, at: number): boolean {
  return db.update(rooms).set({ state: "closed", closedAt: at }).where(and(eq(rooms.id, id), eq(rooms.state, "open"))).returning({ id: rooms.id }).all().length === 1;
}

export function addParticipantRow(db: Queryable, roomId: string, personId: string, at: number): void {
  db.insert(roomParticipants).values({ roomId, personId, addedAt: at }).onConflictDoNothing().run();
}

export function deleteParticipantRows(db: Queryable, personId: string): void {
  db.delete(roomParticipants).where(eq(roomParticipants.personId, personId)).run();
}

export function markAdmitted(db: Queryable, roomId: string, personId: string, at: number): void {
  db.update(roomParticipants)
    .set({ admittedAt: at })
    .where(and(eq(roomParticipants.roomId, roomId), eq(roomParticipants.personId, personId), isNull(roomParticipants.admittedAt)))
    .run();
}

export function wasAdmitted(db: Queryable, roomId: string, personId: string): boolean {
  return Boolean(
    db.select().from(roomParticipants).where(and(eq(roomParticipants.roomId, roomId), eq(roomParticipants.personId, personId), isNotNull(roomParticipants.admittedAt))).get(),
  );
}

export type FileRow = typeof roomFiles.$inferSelect;

export function insertFileRow(db: Queryable, row: FileRow): void {
  db.insert(roomFiles).values(row).run();
}

/** The bytes of all files shared in the room so far. */
export function roomFilesBytes(db: Queryable, roomId: string): number {
  return db.select({ total: sql<number>`coalesce(sum(${roomFiles.size}), 0)` }).from(roomFiles).where(eq(roomFiles.roomId, roomId)).get()?.total ?? 0;
}

/** When the person shared files after `since` (in any room), oldest first. */
export function uploadTimesSince(db: Queryable, uploaderId: string, since: number): number[] {
  return db
    .select({ at: roomFiles.createdAt })
    .from(roomFiles)
    .where(and(eq(roomFiles.uploaderId, uploaderId), gt(roomFiles.createdAt, since)))
    .orderBy(asc(roomFiles.createdAt))
    .all()
    .map((r) => r.at);
}

export function listFileRows(db: Queryable, roomId: string): FileRow[] {
  return db.select().from(roomFiles).where(eq(roomFiles.roomId, roomId)).orderBy(asc(roomFiles.createdAt)).all();
}

export function getFileRow(db: Queryable, roomId: string, fileId: string): FileRow | null {
  return db.select().from(roomFiles).where(and(eq(roomFiles.roomId, roomId), eq(roomFiles.id, fileId))).get() ?? null;
}

export function isParticipant(db: Queryable, roomId: string, personId: string): boolean {
  return Boolean(db.select().from(roomParticipants).where(and(eq(roomParticipants.roomId, roomId), eq(roomParticipants.personId, personId))).get());
}

export type MessageRow = typeof roomMessages.$inferSelect;

/** A message row without its body yet: the body's seal binds the row id, known only after the insert. */
export function insertMessageRow(db: Queryable, roomId: string, authorId: string, at: number): number {
  return db.insert(roomMessages).values({ roomId, authorId, at, body: Buffer.alloc(0) }).returning({ id: roomMessages.id }).get().id;
}

export function setMessageBody(db: Queryable, id: number, body: Uint8Array): void {
  db.update(roomMessages).set({ body: Buffer.from(body) }).where(eq(roomMessages.id, id)).run();
}

export function listMessageRows(db: Queryable, roomId: string): MessageRow[] {
  return db.select().from(roomMessages).where(eq(roomMessages.roomId, roomId)).orderBy(asc(roomMessages.id)).all();
}

/** Whose key seals the room's chat and files ("org" for a room that is not an appointment's). */
export function roomSubject(db: Queryable, roomId: string): string {
  return db.select({ subject: rooms.subject }).from(rooms).where(eq(rooms.id, roomId)).get()?.subject ?? "org";
}
