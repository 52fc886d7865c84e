// The registry of rooms with people in them, and the WebSocket endpoint's message handling.
import { allowsUnencryptedCalls } from "../settings/settings.ts";
import { loadMediaServer, mediaOptions } from "./sfu/load.ts";
import type { Installation } from "../installation.ts";
import { getPerson } from "../people/people.ts";
import { listChatMessages, postChatMessage } from "./chat.ts";
import { fileSummary, listRoomFiles } from "./files.ts";
import { LiveRoom, type Socket } from "./live-room.ts";
import { auditRoomEvent, closeRoom, recordAdmission, wasAdmittedTo, getRoom, isRoomLive, roomRoleOf, verifyJoinToken } from "./rooms.ts";
import type { MediaServer } from "./sfu/media-server.ts";
import { CLOSE, clientMessage, MAX_IN_CALL } from "./signaling.ts";
import { onSessionsEnded, sessionStillExists } from "../sessions/sessions.ts";

const MESSAGES_PER_10S = 60;
/**
 * Key-exchange messages (end-to-end encryption) have their own allowance: someone joining a full call exchanges about
 * five with each of the others, and a join or a leave makes everyone send a few more.
 */
export const KEY_MESSAGES_PER_10S = 20 * MAX_IN_CALL;
/** A socket that has not said a valid hello by then is closed: an idle socket costs memory and a file descriptor. */
export const HELLO_WITHIN_MS = 5_000;
/** Open signalling sockets per person (a reload, a second tab) and per room (a shared invitation). */
export const SOCKETS_PER_PERSON = 4;
export const SOCKETS_PER_ROOM = 24;

/** Who opened the socket: the signed-in person and the session of the upgrade request. */
export interface SocketHolder {
  personId: string;
  sessionHandle: string;
}

export class LiveRooms {
  private readonly rooms = new Map<string, LiveRoom>();
  /** Who each open room's host took out of the call, kept while the room is open (see LiveRoom). */
  private readonly removedFrom = new Map<string, Set<string>>();
  private readonly openSockets = { byPerson: new Map<string, number>(), byRoom: new Map<string, number>() };
  private media: Promise<MediaServer> | null = null;

  constructor(private readonly inst: Pick<Installation, "db" | "vault" | "config" | "log" | "clock">) {}

  /** The media server and werift load on the first call, not at start-up (they double the start time). */
  private mediaServer(): Promise<MediaServer> {
    this.media ??= loadMediaServer().then(
      ({ MediaServer }) =>
        new MediaServer(mediaOptions(this.inst)),
    );
    return this.media;
  }

  /** Who waits to be admitted to a room right now (for the specialist's day view). */
  waitingIn(roomId: string): string[] {
    return this.rooms.get(roomId)?.waitingIds() ?? [];
  }

  /**
   * One socket's life: the first message, within HELLO_WITHIN_MS, must be a valid join token for this room minted for
   * the same person and session that opened the socket; then the protocol. The socket closes when that session ends.
   */
  connection(roomId: string, holder: SocketHolder): { open: (socket: Socket) => void; message: (socket: Socket, data: unknown) => void; close: (socket: Socket) => void } {
    let personId: string | null = null;
    let room: LiveRoom | null = null;
    let window = { start: this.inst.clock.now(), count: 0, keys: 0 };
    let counted = false;
    let helloTimer: ReturnType<typeof setTimeout> | null = null;
    let stopListening = (): void => {};
    const { db, log } = this.inst;
    const sockets = this.openSockets;

    const leave = (socket: Socket): void => {
      if (personId && room) {
        room.disconnect(personId, socket);
        if (room.size === 0 && this.rooms.get(roomId) === room) {
          this.rooms.delete(roomId);
          // Nobody removed: nothing to remember for this room (else every room ever entered would keep an entry).
          if (this.removedFrom.get(roomId)?.size === 0) this.removedFrom.delete(roomId);
        }
      }
      room = null;
    };

    return {
      open: (socket) => {
        if ((sockets.byPerson.get(holder.personId) ?? 0) >= SOCKETS_PER_PERSON || (sockets.byRoom.get(roomId) ?? 0) >= SOCKETS_PER_ROOM) {
          return socket.close(CLOSE.tooMany, "too many connections");
        }
        counted = true;
        bump(sockets.byPerson, holder.personId, 1);
        bump(sockets.byRoom, roomId, 1);
        helloTimer = setTimeout(() => personId === null && socket.close(CLOSE.policy, "hello first"), HELLO_WITHIN_MS);
        stopListening = onSessionsEnded((ended) => {
          if (ended !== holder.personId || sessionStillExists(db, holder.sessionHandle)) return;
          leave(socket);
          socket.close(CLOSE.policy, "signed out");
        });
      },
      message: (socket, data) => {
        const now = this.inst.clock.now();
        if (now - window.start > 10_000) window = { start: now, count: 0, keys: 0 };
        // Counted before parsing (a flood costs no parsing), then split by kind once parsed.
        if (window.count + window.keys >= MESSAGES_PER_10S + KEY_MESSAGES_PER_10S) return socket.close(CLOSE.tooMany, "too many messages");
        let parsedJson: unknown;
        try {
          parsedJson = typeof data === "string" && data.length <= 64_000 ? JSON.parse(data) : null;
        } catch {
          return socket.close(CLOSE.protocol, "not JSON");
        }
        const parsed = clientMessage.safeParse(parsedJson);
        if (!parsed.success) return socket.close(CLOSE.protocol, "malformed message");
        const msg = parsed.data;
        if (msg.type === "e2ee" ? ++window.keys > KEY_MESSAGES_PER_10S : ++window.count > MESSAGES_PER_10S) return socket.close(CLOSE.tooMany, "too many messages");

        if (personId === null) {
          if (msg.type !== "hello") return socket.close(CLOSE.policy, "hello first");
          const claims = verifyJoinToken(msg.token, this.inst.clock.now());
          const stored = getRoom(db, roomId);
          // The token is the socket holder's own: another person's token (a guest holding the host's) or one fetched
          // in another session opens nothing.
          const holders = claims?.personId === holder.personId && claims.session === holder.sessionHandle;
          if (!claims || !holders || claims.roomId !== roomId || !stored || !isRoomLive(stored, this.inst.clock.now())) return socket.close(CLOSE.policy, "not allowed");
          const role = roomRoleOf(db, stored, claims.personId);
          const person = getPerson(this.inst, claims.personId);
          if (!role || !person || !sessionStillExists(db, holder.sessionHandle)) return socket.close(CLOSE.policy, "not allowed");
          personId = claims.personId;
          room = this.room(roomId);
          room.connect(personId, person.name, role, socket, msg.e2ee);
          return;
        }
        const me = personId;
        const r = room;
        if (!r) return;
        const fail = (err: unknown) => {
          log.warn("signalling failed", { roomId, type: msg.type, error: String(err) });
          socket.send({ type: "error", message: "the media server could not handle this; please rejoin" });
        };
        switch (msg.type) {
          case "hello":
            return socket.close(CLOSE.protocol, "hello twice");
          case "publish":
            return void r.publish(me, msg.sdp).catch(fail);
          case "answer":
            return void r.answer(me, msg.id, msg.sdp).catch(fail);
          case "view":
            return r.view(me, msg.id, msg.width);
          case "admit":
            return r.admit(me, msg.personId);
          case "decline":
            return r.decline(me, msg.personId);
          case "chat":
            return r.chat(me, msg.text);
          case "end":
            return r.end(me);
          case "state":
            return r.reportDevices(me, msg);
          case "mute":
            return r.mute(me, msg.personId);
          case "remove":
            return r.takeOut(me, msg.personId);
          case "notice":
            return r.notice(me, msg.personId, msg.text);
          case "e2ee":
            return r.relayKeys(me, msg.to, msg.body);
          case "leave":
            r.disconnect(me, socket);
            return socket.close(CLOSE.normal, "left");
        }
      },
      close: (socket) => {
        if (helloTimer) clearTimeout(helloTimer);
        stopListening();
        if (counted) {
          counted = false;
          bump(sockets.byPerson, holder.personId, -1);
          bump(sockets.byRoom, roomId, -1);
        }
        leave(socket);
      },
    };
  }

  /** Tells everyone in the call that the room's files changed. */
  announceFiles(roomId: string): void {
    this.rooms.get(roomId)?.broadcastToAdmitted({ type: "files", files: listRoomFiles(this.inst, roomId).map(fileSummary) });
  }

  private removedIn(roomId: string): Set<string> {
    let removed = this.removedFrom.get(roomId);
    if (!removed) this.removedFrom.set(roomId, (removed = new Set()));
    return removed;
  }

  private room(roomId: string): LiveRoom {
    let room = this.rooms.get(roomId);
    if (!room) {
      const deps = this.inst;
      room = new LiveRoom(roomId, () => this.mediaServer(), {
        wasAdmitted: (p) => wasAdmittedTo(deps.db, roomId, p),
        chat: (p, text) => postChatMessage(deps, roomId, p, text),
        chatHistory: () => listChatMessages(deps, roomId),
        files: () => listRoomFiles(deps, roomId).map(fileSummary),
        join: (p) => auditRoomEvent(deps, roomId, p, "room.join"),
        admit: (h, g) => {
          recordAdmission(deps, roomId, g);
          auditRoomEvent(deps, roomId, h, "room.admit", g);
        },
        decline: (h, g) => auditRoomEvent(deps, roomId, h, "room.decline", g),
        remove: (h, g) => auditRoomEvent(deps, roomId, h, "room.remove", g),
        leave: (p) => auditRoomEvent(deps, roomId, p, "room.leave"),
        end: (h) => {
          this.removedFrom.delete(roomId);
          closeRoom(deps, roomId, h);
        },
        unencryptedAllowed: () => allowsUnencryptedCalls(deps.db),
      }, this.inst.log, () => this.inst.clock.now(), this.removedIn(roomId));
      this.rooms.set(roomId, room);
    }
    return room;
  }

  /**
   * The room's owner admits a waiting person from the schedule without being in the call. Only the owner (checked here
   * against the stored room) may; false when the room has nobody by that id waiting.
   */
  admitAsOwner(roomId: string, ownerId: string, personId: string): boolean {
    const stored = getRoom(this.inst.db, roomId);
    if (!stored || stored.ownerId !== ownerId || !isRoomLive(stored, this.inst.clock.now())) return false;
    return this.rooms.get(roomId)?.admitAsOwner(ownerId, personId) ?? false;
  }

  /** For the metrics: rooms whose call goes through the SFU now, the people in them, the streams it forwards. */
  callCounts(): { rooms: number; peers: number; streams: number } {
    const out = { rooms: 0, peers: 0, streams: 0 };
    for (const room of this.rooms.values()) {
      const { peers, streams } = room.mediaCounts();
      if (peers > 0) out.rooms++;
      out.peers += peers;
      out.streams += streams;
    }
    return out;
  }

  /** Whether the room's host is in the call now. */
  hostIn(roomId: string): boolean {
    return this.rooms.get(roomId)?.hostPresent() ?? false;
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
