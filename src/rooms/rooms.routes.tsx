// Consultation rooms. Specialists and admins open rooms; anyone signed in enters a room they are allowed in (the
// owner, or someone who opened its invitation); everyone else gets 404 for a room id, as if it did not exist.
import { allowsUnencryptedCalls } from "../settings/settings.ts";
import type { Context } from "hono";
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/bun";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Installation } from "../installation.ts";
import { roomFileSharingRefusal } from "../consent/ledger.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import { allow, anyone, everyone, hostsOnly } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { readForm } from "../http/form.ts";
import { personName, personZone } from "../people/people.ts";
import type { LiveRooms } from "./live-rooms.ts";
import { listChatMessages } from "./chat.ts";
import { ALLOWED_EXTENSIONS, listRoomFiles, readRoomFile, storeRoomFile } from "./files.ts";
import {
  acceptRoomInvitation,
  createRoom,
  getRoom,
  isRoomLive,
  listOpenRooms,
  mayReadRoomRecord,
  mintJoinToken,
  type Room,
  type RoomRole,
  ROOM_LABEL_MAX,
  roomInvitation,
  roomLabel,
  roomRoleOf,
} from "./rooms.ts";
import { openRoomSchema } from "./rooms.schema.ts";
import { appointmentOfRoom } from "../booking/appointments.ts";
import { callNotesHref } from "../records/notes.ts";
import { auditRoomRecordRead } from "../accountability/room-reads.ts";
import type { ServerMessage } from "./signaling.ts";
import { iceServersNow } from "./turn.ts";
import { NotWaitingPage, RoomLinkInvalidPage, RoomPage, RoomRecordPage, RoomsPage } from "./views/room-pages.tsx";

export const ROOM_INVITE_COOKIE = "kabinet_room_invite";

export function roomsRoutes(deps: Pick<Installation, "db" | "vault" | "config" | "log" | "clock">, live: LiveRooms): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const secure = deps.config.publicUrl.protocol === "https:";
  const origin = deps.config.publicUrl.origin;

  /** The room and the viewer's role in it, or null: unknown, closed, expired, or not theirs all look alike. */
  /** The host's notes about the appointment's client, written while the call runs (src/records); null otherwise. */
  const notesHrefOf = (c: Context<AppEnv>, found: { room: Room; role: RoomRole }): string | null => {
    const appointment = found.role === "host" ? appointmentOfRoom(deps.db, found.room.id) : null;
    const viewer = c.get("viewer")!;
    return appointment ? callNotesHref(deps.db, { personId: viewer.personId, role: viewer.role }, appointment) : null;
  };
  const allowedRoom = (c: Context<AppEnv>): { room: Room; role: RoomRole } | null => {
    const room = getRoom(deps.db, c.req.param("id") ?? "");
    const role = room && isRoomLive(room, c.get("now")) ? roomRoleOf(deps.db, room, c.get("viewer")!.personId) : null;
    return room && role ? { room, role } : null;
  };

  const roomsPage = (c: Context<AppEnv>, o: { label?: string; error?: string } = {}) => {
    const viewer = c.get("viewer")!.personId;
    return c.html(<RoomsPage page={pageContext(c)} rooms={listOpenRooms(deps, viewer, c.get("now"))} timeZone={personZone(deps.db, viewer)} {...o} />, o.error ? 422 : 200);
  };

  app.get("/", allow(hostsOnly), (c) => roomsPage(c));

  app.post("/", allow(hostsOnly), async (c) => {
    const form = await readForm(c);
    const parsed = openRoomSchema.safeParse(form);
    if (!parsed.success) return roomsPage(c, { label: form.label, error: c.get("t").rooms.labelTooLong(ROOM_LABEL_MAX) });
    const { label } = parsed.data;
    const { room } = createRoom(deps, c.get("viewer")!.personId, c.get("now"), label ? { label } : {});
    return c.redirect(`/rooms/${room.id}`, 303);
  });

  // "Admit" on the schedule: the room's owner lets a waiting client in before joining, then goes into the call
  // (the call page joins by itself on #join). Anyone else, or nobody waiting, gets a plain answer, never a 500.
  app.post("/:id/admit/:personId", allow(hostsOnly), (c) => {
    const roomId = c.req.param("id");
    const room = getRoom(deps.db, roomId);
    if (!room || room.ownerId !== c.get("viewer")!.personId) return c.notFound();
    if (!live.admitAsOwner(roomId, room.ownerId, c.req.param("personId"))) return c.html(<NotWaitingPage page={pageContext(c)} roomId={roomId} />, 409);
    return c.redirect(`/rooms/${roomId}#join`, 303);
  });

  // The invitation's token moves into a short-lived cookie, out of the address bar; signing in first if needed.
  app.get("/invite/:token", allow(anyone), (c) => {
    setCookie(c, ROOM_INVITE_COOKIE, c.req.param("token").slice(0, 64), { path: "/", httpOnly: true, secure, sameSite: "Lax", maxAge: 3600 });
    return c.redirect("/rooms/join", 303);
  });

  app.get("/join", allow(everyone), (c) => {
    const token = getCookie(c, ROOM_INVITE_COOKIE) ?? "";
    deleteCookie(c, ROOM_INVITE_COOKIE, { path: "/", secure });
    const room = acceptRoomInvitation(deps, token, c.get("viewer")!.personId);
    if (!room) return c.html(<RoomLinkInvalidPage page={pageContext(c)} />, 410);
    return c.redirect(`/rooms/${room.id}`, 303);
  });

  /** The room if the viewer may read its record (chat and files): its owner, or someone it admitted. */
  const readableRoom = (c: Context<AppEnv>): Room | null => {
    const room = getRoom(deps.db, c.req.param("id") ?? "");
    return room && mayReadRoomRecord(deps.db, room, c.get("viewer")!.personId) ? room : null;
  };
  const fileDeps = { ...deps, filesDir: `${deps.config.dataDir}/files`, maxBytes: deps.config.maxUploadBytes, roomQuotaBytes: deps.config.roomFilesMaxBytes };
  const maxMB = Math.round(deps.config.maxUploadBytes / 1024 / 1024);
  const roomMB = Math.round(deps.config.roomFilesMaxBytes / 1024 / 1024);

  app.get("/:id", allow(everyone), (c) => {
    const found = allowedRoom(c);
    if (!found) {
      // After the call: its participants keep the record.
      const room = readableRoom(c);
      if (!room) return c.notFound();
      const viewer = c.get("viewer")!.personId;
      auditRoomRecordRead(deps, room.id, viewer, c.get("now"));
      return c.html(
        <RoomRecordPage page={pageContext(c)} room={{ ...room, label: room.ownerId === viewer ? roomLabel(deps, room.id) : null }} chat={listChatMessages(deps, room.id)} files={listRoomFiles(deps, room.id)} timeZone={personZone(deps.db, viewer)} />,
      );
    }
    const invite = found.role === "host" ? roomInvitation(deps, found.room.id) : null;
    const inviteUrl = invite ? new URL(`/rooms/invite/${invite}`, deps.config.publicUrl).toString() : null;
    // The host sees their own label; a guest sees who invited them (the label may name them, or why they come).
    const title = found.role === "host" ? (roomLabel(deps, found.room.id) ?? undefined) : c.get("t").rooms.invitedBy(personName(deps, found.room.ownerId) ?? "—");
    return c.html(
      <RoomPage page={pageContext(c)} room={found.room} role={found.role} title={title} inviteUrl={inviteUrl} maxUploadMB={maxMB} fileTypes={ALLOWED_EXTENSIONS} iceServers={iceServersNow(deps.config, c.get("now"))} unencryptedAllowed={allowsUnencryptedCalls(deps.db)} notesHref={notesHrefOf(c, found)} />,
    );
  });

  // A fresh 60-second token for the signalling socket, fetched right before connecting.
  app.get("/:id/join-token", allow(everyone), (c) => {
    const found = allowedRoom(c);
    if (!found) return c.json({ error: "not found" }, 404);
    const viewer = c.get("viewer")!;
    c.header("cache-control", "no-store");
    return c.json({ token: mintJoinToken({ roomId: found.room.id, personId: viewer.personId, session: viewer.session.handle }, c.get("now")) });
  });

  // Share a file during the call: the owner or someone admitted, while the room is open.
  app.post("/:id/files", allow(everyone), async (c) => {
    const t = c.get("t");
    const room = readableRoom(c);
    if (!room || !isRoomLive(room, c.get("now"))) return c.json({ error: t.errors.notFoundText }, 404);
    const refusal = roomFileSharingRefusal(deps.db, c.get("viewer")!.personId, appointmentOfRoom(deps.db, room.id)?.clientId);
    if (refusal) return c.json({ error: refusal === "own" ? t.consent.filesRefused : t.consent.filesRefusedBySubject }, 403);
    // A client whose processing is restricted (GDPR art. 18) adds nothing new; what is stored stays readable.
    if (isProcessingRestricted(deps.db, c.get("viewer")!.personId)) return c.json({ error: t.retention.holds.uploadRestricted }, 403);
    let body: Record<string, unknown>;
    try {
      body = await c.req.parseBody();
    } catch {
      return c.json({ error: t.rooms.fileEmpty }, 400);
    }
    const file = body["file"];
    if (!(file instanceof File)) return c.json({ error: t.rooms.fileEmpty }, 422);
    const result = await storeRoomFile(fileDeps, room.id, c.get("viewer")!.personId, file.name, new Uint8Array(await file.arrayBuffer()));
    if (!result.ok) {
      switch (result.problem) {
        case "too-large":
          return c.json({ error: t.rooms.fileTooLarge(maxMB) }, 413);
        case "room-full":
          return c.json({ error: t.rooms.roomFilesFull(roomMB) }, 413);
        case "too-often": {
          const seconds = Math.ceil(result.retryAfterMs / 1000);
          c.header("retry-after", String(seconds));
          return c.json({ error: t.rooms.uploadsTooOften(Math.ceil(seconds / 60)) }, 429);
        }
        case "type":
          return c.json({ error: t.rooms.fileType(ALLOWED_EXTENSIONS.join(", ")) }, 422);
        case "empty":
          return c.json({ error: t.rooms.fileEmpty }, 422);
      }
    }
    live.announceFiles(room.id);
    return c.json({ id: result.file.id, name: result.file.name, size: result.file.size }, 201);
  });

  // Download: only for the room's record readers; always as an attachment, never rendered in our origin.
  app.get("/:id/files/:fileId", allow(everyone), async (c) => {
    const room = readableRoom(c);
    const refusal = room ? roomFileSharingRefusal(deps.db, c.get("viewer")!.personId, appointmentOfRoom(deps.db, room.id)?.clientId) : null;
    if (refusal) return c.text(refusal === "own" ? c.get("t").consent.filesRefused : c.get("t").consent.filesRefusedBySubject, 403);
    const found = room ? await readRoomFile(fileDeps, room.id, c.req.param("fileId"), c.get("viewer")!.personId) : null;
    if (!found) return c.notFound();
    return c.body(new Uint8Array(found.bytes).buffer, 200, {
      "content-type": found.file.mime,
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(found.file.name)}`,
      "cache-control": "private, no-store",
      "content-security-policy": "sandbox; default-src 'none'",
    });
  });

  app.get(
    "/:id/ws",
    allow(everyone),
    async (c, next) => {
      if (c.req.header("origin") !== origin) return c.text("foreign origin", 403);
      if (!allowedRoom(c)) return c.text("not found", 404);
      await next();
    },
    upgradeWebSocket((c) => {
      const viewer = c.get("viewer")!;
      const conn = live.connection(c.req.param("id") ?? "", { personId: viewer.personId, sessionHandle: viewer.session.handle });
      let socket: { send(m: ServerMessage): void; close(code: number, reason: string): void } | null = null;
      return {
        onOpen(_e, ws) {
          socket = { send: (m) => ws.readyState === 1 && ws.send(JSON.stringify(m)), close: (code, reason) => ws.close(code, reason) };
          conn.open(socket);
        },
        onMessage(e) {
          if (socket) conn.message(socket, typeof e.data === "string" ? e.data : null);
        },
        onClose() {
          if (socket) conn.close(socket);
        },
      };
    }),
  );

  return app;
}
