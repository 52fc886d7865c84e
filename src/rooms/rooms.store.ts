import { and, desc, eq } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { roomParticipants, rooms } from "../db/schema.ts";

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

export function isParticipant(db: Queryable, roomId: string, personId: string): boolean {
  return Boolean(db.select().from(roomParticipants).where(and(eq(roomParticipants.roomId, roomId), eq(roomParticipants.personId, personId))).get());
}
