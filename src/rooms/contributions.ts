// What an erased client leaves in rooms sealed under someone else's key (an ad-hoc room under the organisation's key,
// another client's appointment room): shredding their own key does not reach it, so it is deleted instead.
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { and, eq, inArray, ne } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { roomFiles, roomMessages, roomParticipants, rooms } from "../db/schema.ts";

/**
 * Deletes the person's own chat messages and shared files in rooms not sealed under their key, and every
 * room_participants row naming them. Called inside the erasure's transaction once the id is on the shredded list (the
 * point of no return): the file bytes are overwritten with zeros and unlinked right away, since a rollback after that
 * is only a failed commit, and the next start shreds the listed key anyway. Returns how much went.
 */
export function removeContributionsOf(tx: Queryable, personId: string, dataDir: string): { messages: number; files: number; rooms: number } {
  const foreign = tx.select({ id: rooms.id }).from(rooms).where(ne(rooms.subject, personId));
  const messages = tx
    .delete(roomMessages)
    .where(and(eq(roomMessages.authorId, personId), inArray(roomMessages.roomId, foreign)))
    .returning({ id: roomMessages.id })
    .all().length;
  const files = tx
    .delete(roomFiles)
    .where(and(eq(roomFiles.uploaderId, personId), inArray(roomFiles.roomId, foreign)))
    .returning({ id: roomFiles.id })
    .all();
  const left = tx.delete(roomParticipants).where(eq(roomParticipants.personId, personId)).returning({ r: roomParticipants.roomId }).all().length;
  for (const { id } of files) overwriteAndRemove(join(dataDir, "files", id));
  return { messages, files: files.length, rooms: left };
}

/** Zeros first: on a filesystem that rewrites in place, the sealed bytes do not linger in free blocks after the unlink. */
export function overwriteAndRemove(path: string): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, "r+");
  try {
    const size = fstatSync(fd).size;
    const zeros = Buffer.alloc(Math.min(size, 1 << 20));
    for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(path, { force: true });
}
