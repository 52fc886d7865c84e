// /api/v1/rooms: consultation rooms opened from an integration (rooms:write), what a room is (appointments:read), and
// what its record holds without its content (appointments:read: how many messages, which files by id, type and size;
// the chat's text and the files' names and bytes are content: records.api.ts, records:read).
//
// Who sees a room is who sees it in the UI: its owner and the people it admitted; for an appointment's room, also
// whoever may see the appointment (its specialist, admins and staff) and the client's carers (supervisors). Anyone
// else gets 404, whether or not the room exists. The invitation link is a capability (whoever opens it while signed
// in joins the room): only the room's owner gets it, only while the room is open, never in an audit entry or a log.
// A read by anyone but the room's host or the appointment's specialist (staff, admins, supervisors) is audited as
// `room-summary.view`: it says when and with whom a client consulted.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { appointmentOfRoom, type Actor, type Appointment, mayView } from "../booking/appointments.ts";
import { AppError } from "../http/app-error.ts";
import type { Installation } from "../installation.ts";
import { getPerson } from "../people/people.ts";
import { isInCareOf } from "../records/care.ts";
import { listChatMessages } from "../rooms/chat.ts";
import { listRoomFiles } from "../rooms/files.ts";
import { createRoom, getRoom, isRoomLive, mayReadRoomRecord, type Room, ROOM_LABEL_MAX, roomInvitation, roomLabel } from "../rooms/rooms.ts";
import type { Api } from "./api.ts";
import { actorOf, type ApiEnv } from "./auth.ts";
import { keepForRetry, retryOf } from "./idempotency.ts";
import { auditApiRead } from "./read-audit.ts";
import { apiRoute, CONFLICT, IdempotencyHeader, NOT_FOUND } from "./route.ts";
import { EXAMPLE } from "./examples.ts";

/** The audit action of a room's details or record summary read by someone who neither hosts it nor is its specialist. */
export const ROOM_SUMMARY_READ = "room-summary.view";

const Instant = z.string().openapi({ format: "date-time", example: "2025-03-14T09:30:00.000Z" });
export const RoomId = z.object({ id: z.string().max(100).openapi({ description: "The room's id (an appointment's `roomId`, or from POST /rooms).", example: EXAMPLE.roomId }) });

export const RoomSchema = z
  .object({
    id: z.string(),
    ownerId: z.string().openapi({ description: "The specialist (or admin) who hosts it." }),
    createdAt: Instant,
    expiresAt: Instant,
    live: z.boolean().openapi({ description: "Open and not expired: people may enter." }),
    appointmentId: z.string().nullable().openapi({ description: "The appointment it was opened for; null for a room opened ad hoc." }),
    label: z.string().nullable().openapi({ description: "What its owner called it; shown only to the owner's tokens." }),
  })
  .openapi("Room");

const InvitationSchema = z
  .object({
    url: z.string().openapi({ description: "Whoever opens it while signed in enters the room (after the host admits them). Share it only with the person invited.", example: "https://consult.example.org/rooms/invite/bq7k0b2P3JH8dQy5y5m3u0mC4xZfkR1wU2vT9aYtE3s" }),
    expiresAt: Instant,
  })
  .openapi("RoomInvitation");

const RecordSummarySchema = z
  .object({
    roomId: z.string(),
    appointmentId: z.string().nullable(),
    messageCount: z.number().int(),
    files: z.array(z.object({ id: z.string(), mime: z.string().openapi({ example: "application/pdf" }), size: z.number().int(), createdAt: Instant })).openapi({ description: "Without names: a file's name is content (records:read, GET /rooms/{id}/files)." }),
    erased: z.boolean().openapi({ description: "The consultation's client was erased: its chat and files can no longer be read." }),
  })
  .openapi("RoomRecordSummary");

type Deps = Pick<Installation, "db" | "vault" | "clock" | "config">;

/** The room with its appointment, if the token's owner may see it (module header); else a 404. */
export function visibleRoom(deps: Deps, c: Context<ApiEnv>, id: string, rule: (room: Room, appointment: Appointment | null, actor: Actor) => boolean): { room: Room; appointment: Appointment | null } {
  const room = getRoom(deps.db, id);
  const appointment = room ? appointmentOfRoom(deps.db, room.id) : null;
  if (!room || !rule(room, appointment, actorOf(c))) throw new AppError(404, "No room with this id that the token's owner may see.");
  return { room, appointment };
}

/** May see that the room exists and what it holds (not its content). */
export function maySeeRoom(deps: Deps): (room: Room, appointment: Appointment | null, actor: Actor) => boolean {
  return (room, appointment, actor) => mayReadRoomRecord(deps.db, room, actor.personId) || (appointment !== null && (mayView(appointment, actor) || isInCareOf(deps.db, actor, appointment.clientId)));
}

/** Whether the consultation's client was erased (their key, and with it the room's chat and files, is gone). */
export function clientErased(deps: Deps, appointment: Appointment | null): boolean {
  return appointment !== null && getPerson(deps, appointment.clientId)?.erased === true;
}

/**
 * A room's details or its record's summary, read by someone other than its host or the appointment's specialist (staff,
 * admins, supervisors): when and with whom a client consulted, so audited like the appointment it belongs to.
 */
function auditSummaryRead(deps: Deps, c: Context<ApiEnv>, room: Room, appointment: Appointment | null, part: "room" | "record"): void {
  const reader = actorOf(c).personId;
  if (reader === room.ownerId || reader === appointment?.specialistId) return;
  auditApiRead(deps, c, { action: ROOM_SUMMARY_READ, target: room.id, details: { part } });
}

function roomJson(deps: Deps, room: Room, appointment: Appointment | null, actor: Actor): z.infer<typeof RoomSchema> {
  return {
    id: room.id,
    ownerId: room.ownerId,
    createdAt: new Date(room.createdAt).toISOString(),
    expiresAt: new Date(room.expiresAt).toISOString(),
    live: isRoomLive(room, deps.clock.now()),
    appointmentId: appointment?.id ?? null,
    label: room.ownerId === actor.personId ? roomLabel(deps, room.id) : null,
  };
}

function invitationJson(deps: Deps, room: Room): z.infer<typeof InvitationSchema> {
  const token = roomInvitation(deps, room.id)!;
  return { url: new URL(`/rooms/invite/${token}`, deps.config.publicUrl).toString(), expiresAt: new Date(room.expiresAt).toISOString() };
}

const openRoom = apiRoute("rooms:write", {
  method: "post",
  path: "/rooms",
  operationId: "openRoom",
  tags: ["Rooms"],
  summary: "Open a room",
  description: "Opens a consultation room hosted by the token's owner, for four hours, with its invitation link. For an appointment's own room, use the appointment.",
  request: {
    headers: IdempotencyHeader,
    body: { required: false, content: { "application/json": { schema: z.object({ label: z.string().trim().max(ROOM_LABEL_MAX).optional().openapi({ description: "What the host calls it (shown only to them).", example: "Second opinion" }) }).openapi("NewRoom") } } },
  },
  responses: {
    201: {
      description: "The room and its invitation link.",
      headers: z.object({ location: z.string() }),
      content: { "application/json": { schema: RoomSchema.extend({ invitation: InvitationSchema }).openapi("OpenedRoom") } },
    },
  },
});

const readRoom = apiRoute("appointments:read", {
  method: "get",
  path: "/rooms/{id}",
  operationId: "getRoom",
  tags: ["Rooms"],
  summary: "Read a room",
  description: "Recorded in the audit log (`room-summary.view`, with the token's name) when the token's owner is neither the room's host nor its appointment's specialist.",
  request: { params: RoomId },
  responses: { 200: { description: "The room.", content: { "application/json": { schema: RoomSchema } } }, ...NOT_FOUND },
});

const readInvitation = apiRoute("rooms:write", {
  method: "get",
  path: "/rooms/{id}/invitation",
  operationId: "getRoomInvitation",
  tags: ["Rooms"],
  summary: "Read a room's invitation link",
  description: "The link to share again, for the room's owner while the room is open (as on the room's page). The link does not change during the room's life.",
  request: { params: RoomId },
  responses: { 200: { description: "The invitation.", content: { "application/json": { schema: InvitationSchema } } }, ...NOT_FOUND, ...CONFLICT },
});

const readRecordSummary = apiRoute("appointments:read", {
  method: "get",
  path: "/rooms/{id}/record",
  operationId: "getRoomRecordSummary",
  tags: ["Records"],
  summary: "What a consultation's record holds",
  description: "Counts and file ids, types and sizes: no chat text, no file names (those need records:read). Recorded in the audit log (`room-summary.view`) when the token's owner is neither the room's host nor its appointment's specialist.",
  request: { params: RoomId },
  responses: { 200: { description: "The record's summary.", content: { "application/json": { schema: RecordSummarySchema } } }, ...NOT_FOUND },
});

export function roomsApi(api: Api, deps: Installation): void {
  api.openapi(openRoom, (c) => {
    const actor = actorOf(c);
    const retry = retryOf(c);
    // A retry under the same Idempotency-Key reads the room it opened again; the invitation (a capability) was not kept.
    // The body is optional: without one (or without a JSON content type) the room has no label.
    const label = (c.req.valid("json") as { label?: string } | undefined)?.label;
    const room = retry ? visibleRoom(deps, c, String(retry.roomId), (r) => r.ownerId === actor.personId).room : createRoom(deps, actor.personId, deps.clock.now(), label ? { label } : {}).room;
    if (!retry) keepForRetry(c, { kind: "reread", facts: { roomId: room.id } });
    if (!isRoomLive(room, deps.clock.now())) throw new AppError(409, "The first request with this Idempotency-Key opened a room that is now closed or expired: its link admits nobody. Open a new room.");
    c.header("location", `/api/v1/rooms/${room.id}`);
    return c.json({ ...roomJson(deps, room, null, actor), invitation: invitationJson(deps, room) }, 201);
  });

  api.openapi(readRoom, (c) => {
    const { room, appointment } = visibleRoom(deps, c, c.req.valid("param").id, maySeeRoom(deps));
    auditSummaryRead(deps, c, room, appointment, "room");
    return c.json(roomJson(deps, room, appointment, actorOf(c)), 200);
  });

  api.openapi(readInvitation, (c) => {
    const { room } = visibleRoom(deps, c, c.req.valid("param").id, (r, _a, actor) => r.ownerId === actor.personId);
    if (!isRoomLive(room, deps.clock.now())) throw new AppError(409, "The room is closed or has expired: its link admits nobody. Open a new room.");
    return c.json(invitationJson(deps, room), 200);
  });

  api.openapi(readRecordSummary, (c) => {
    const { room, appointment } = visibleRoom(deps, c, c.req.valid("param").id, maySeeRoom(deps));
    auditSummaryRead(deps, c, room, appointment, "record");
    const files = listRoomFiles(deps, room.id).map((f) => ({ id: f.id, mime: f.mime, size: f.size, createdAt: new Date(f.createdAt).toISOString() }));
    return c.json({ roomId: room.id, appointmentId: appointment?.id ?? null, messageCount: listChatMessages(deps, room.id).length, files, erased: clientErased(deps, appointment) }, 200);
  });
}
