// Consultation rooms: who may enter, and the short-lived tokens that open a room's signalling socket.
//
// Invariants: a room has one owner (the specialist who opened it); others may enter only after opening its
// invitation link while signed in; a closed or expired room admits nobody. The invitation token is 256 random bits,
// stored hashed. A join token for the WebSocket is minted only for a signed-in person allowed in the room, binds
// person, session and room, lives 60 seconds, and is sent as the socket's first message (never in a URL).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { hashToken, isTokenShaped, newToken } from "../crypto/token.ts";
import { recordAudit } from "../audit/audit.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import { ORG_SUBJECT, type Vault } from "../vault/vault.ts";
import { emitEvent } from "../webhooks/emit.ts";
import * as store from "./rooms.store.ts";

export const ROOM_LIFETIME_MS = 4 * 3600_000;
const JOIN_TOKEN_MS = 60_000;

export interface Room {
  id: string;
  ownerId: string;
  state: "open" | "closed";
  createdAt: number;
  expiresAt: number;
}

export interface RoomDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
}

export type RoomRole = "host" | "guest";

/** An appointment's room lives until shortly after the appointment, its client may enter without the link, and its chat and files are sealed under the client's key. */
export interface RoomOptions {
  expiresAt?: number;
  guests?: readonly string[];
  subject?: string;
  /** What the host calls the room (a client's name, a purpose); sealed. */
  label?: string;
}

export function createRoom(deps: RoomDeps, ownerId: string, now = deps.clock.now(), options: RoomOptions = {}): { room: Room; inviteToken: string } {
  const inviteToken = newToken();
  const id = randomBytes(12).toString("base64url");
  const row = {
    id,
    ownerId,
    inviteHash: Buffer.from(hashToken(inviteToken)),
    invite: Buffer.from(deps.vault.sealField(ORG_SUBJECT, "rooms", "invite", id, inviteToken)),
    state: "open" as const,
    createdAt: now,
    expiresAt: options.expiresAt ?? now + ROOM_LIFETIME_MS,
    closedAt: null,
    label: options.label ? Buffer.from(deps.vault.sealField(ORG_SUBJECT, "rooms", "label", id, options.label)) : null,
    subject: options.subject ?? ORG_SUBJECT,
  };
  deps.db.transaction(
    (tx) => {
      store.insertRoom(tx, row);
      for (const guest of options.guests ?? []) store.addParticipantRow(tx, row.id, guest, now);
      recordAudit(tx, deps.vault, { actor: ownerId, action: "room.create", target: row.id });
    },
    { behavior: "immediate" },
  );
  return { room: toRoom(row), inviteToken };
}

/** The room's invitation token, for its owner to share again. */
export function roomInvitation(deps: RoomDeps, roomId: string): string | null {
  const row = store.getRoomRow(deps.db, roomId);
  return row ? deps.vault.openField(ORG_SUBJECT, "rooms", "invite", row.id, row.invite) : null;
}

export function isRoomLive(room: Room, now = Date.now()): boolean {
  return room.state === "open" && now < room.expiresAt;
}

export function getRoom(db: Queryable, id: string): Room | null {
  const row = store.getRoomRow(db, id);
  return row ? toRoom(row) : null;
}

/** The person's role in the room, or null when they may not enter it. */
export function roomRoleOf(db: Queryable, room: Room, personId: string): RoomRole | null {
  if (room.ownerId === personId) return "host";
  return store.isParticipant(db, room.id, personId) ? "guest" : null;
}

export function listOpenRooms(deps: Pick<RoomDeps, "db" | "vault">, ownerId: string, now: number): LabelledRoom[] {
  return store
    .listRoomRowsOwnedBy(deps.db, ownerId)
    .filter((r) => isRoomLive(toRoom(r), now))
    .map((r) => toLabelledRoom(deps.vault, r));
}

/** A room with what its host called it (opened from the vault; null when it has no label). */
export interface LabelledRoom extends Room {
  label: string | null;
}

/** What the host called the room, or null. Only its owner is shown it. */
export function roomLabel(deps: Pick<RoomDeps, "db" | "vault">, id: string): string | null {
  const row = store.getRoomRow(deps.db, id);
  return row ? toLabelledRoom(deps.vault, row).label : null;
}

/** The longest label a host may give a room. */
export const ROOM_LABEL_MAX = 120;

/** Adds the signed-in person to the room whose invitation this is; null if the link is unknown, closed or expired. */
export function acceptRoomInvitation(deps: RoomDeps, token: string, personId: string): Room | null {
  if (!isTokenShaped(token)) return null;
  const row = store.getRoomRowByInvite(deps.db, hashToken(token));
  if (!row || !isRoomLive(toRoom(row))) return null;
  if (row.ownerId !== personId) {
    deps.db.transaction(
      (tx) => {
        store.addParticipantRow(tx, row.id, personId, deps.clock.now());
        recordAudit(tx, deps.vault, { actor: personId, action: "room.invite-accept", target: row.id });
      },
      { behavior: "immediate" },
    );
  }
  return toRoom(row);
}

export function closeRoom(deps: RoomDeps, roomId: string, actor: string): boolean {
  return deps.db.transaction(
    (tx) => {
      const at = deps.clock.now();
      const closed = store.closeRoomRow(tx, roomId, at);
      if (closed) {
        recordAudit(tx, deps.vault, { actor, action: "room.close", target: roomId });
        const room = store.getRoomRow(tx, roomId)!;
        const data = { roomId, hostId: room.ownerId, openedAt: new Date(room.createdAt).toISOString(), endedAt: new Date(at).toISOString() };
        emitEvent(tx, deps.vault, { type: "consultation.ended", subject: ORG_SUBJECT, data, at });
        for (const listener of closedListeners) listener({ db: tx, vault: deps.vault, clock: deps.clock }, { roomId, actor, at });
      }
      return closed;
    },
    { behavior: "immediate" },
  );
}

/** A room was closed: by whom and when. */
export interface RoomClosed {
  roomId: string;
  actor: string;
  at: number;
}

type RoomClosedListener = (deps: RoomDeps, closed: RoomClosed) => void;
const closedListeners = new Set<RoomClosedListener>();

/**
 * Calls `listener` inside the transaction that closes a room, so what it records (an appointment held) commits or
 * rolls back with the closing. Other domains hear of it this way because rooms must not know them (booking uses rooms,
 * not the other way round). A listener that throws rolls the closing back. Returns the function that stops listening.
 */
export function onRoomClosed(listener: RoomClosedListener): () => void {
  closedListeners.add(listener);
  return () => closedListeners.delete(listener);
}

/** The host let this person in: from now on they may read the room's chat and files, also after the call. */
/** An erased person is no participant of any room any more (the rooms' record stays, sealed under its subject). */
export function removeFromAllRooms(db: Queryable, personId: string): void {
  store.deleteParticipantRows(db, personId);
}

export function recordAdmission(deps: RoomDeps, roomId: string, personId: string): void {
  store.markAdmitted(deps.db, roomId, personId, deps.clock.now());
}

export function wasAdmittedTo(db: Queryable, roomId: string, personId: string): boolean {
  return store.wasAdmitted(db, roomId, personId);
}

/** Whether the person may read what was said and shared in the room: its owner, or someone it admitted. */
export function mayReadRoomRecord(db: Queryable, room: Room, personId: string): boolean {
  return room.ownerId === personId || store.wasAdmitted(db, room.id, personId);
}

/** Join, admit, decline and leave, recorded as they happen. */
export function auditRoomEvent(deps: RoomDeps, roomId: string, actor: string, action: "room.join" | "room.admit" | "room.decline" | "room.leave" | "room.remove", subject?: string): void {
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor, action, target: roomId, details: subject ? { person: subject } : {} }), {
    behavior: "immediate",
  });
}

// ── join tokens ──
const JOIN_KEY = randomBytes(32); // per process: a token only ever opens a socket on the process that minted it

export interface JoinClaims {
  roomId: string;
  personId: string;
  session: string;
  exp: number;
}

export function mintJoinToken(claims: Omit<JoinClaims, "exp">, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ ...claims, exp: now + JOIN_TOKEN_MS })).toString("base64url");
  return `${body}.${createHmac("sha256", JOIN_KEY).update(body).digest("base64url")}`;
}

export function verifyJoinToken(token: string, now = Date.now()): JoinClaims | null {
  const [body, mac] = token.split(".");
  if (!body || !mac) return null;
  const expected = createHmac("sha256", JOIN_KEY).update(body).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(body, "base64url").toString()) as JoinClaims;
  return now < claims.exp ? claims : null;
}


function toRoom(row: store.RoomRow): Room {
  return { id: row.id, ownerId: row.ownerId, state: row.state, createdAt: row.createdAt, expiresAt: row.expiresAt };
}

// Kept apart from toRoom: opening the label costs a decryption, and most readers (the signalling socket) never show it.
function toLabelledRoom(vault: Vault, row: store.RoomRow): LabelledRoom {
  return { ...toRoom(row), label: row.label ? vault.openField(ORG_SUBJECT, "rooms", "label", row.id, row.label) : null };
}
