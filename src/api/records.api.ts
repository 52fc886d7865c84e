// /api/v1/rooms/{id}/messages and /files: the content of a consultation's record, its chat and the files shared in it
// (scope records:read, which only specialists and admins may hold).
//
// Protects: what was said and shared in a consultation. Who may read it is who reads it in the UI: the room's owner and
// the people it admitted (rooms.ts mayReadRoomRecord) and, for an appointment's room, the client's carers (care.ts:
// their specialists and those who supervise them). An admin outside the client's care reads nothing here: in the UI
// they would break the glass with a stated reason, and an integration never rides such a grant. Anyone else gets 404.
// Honoured as in the UI: a client who withdrew consent to file sharing has their files listed but never downloaded
// (403); an erased client's consultation answers 410 (their key is destroyed, nothing can be read). A restriction of
// processing (GDPR art. 18) leaves stored records readable to carers, as on the record page.
// Every read is audited with the token's name: the chat or the file list as `room.view`, a file as `file.download`.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ROOM_READ } from "../accountability/room-reads.ts";
import type { Actor, Appointment } from "../booking/appointments.ts";
import { roomFileSharingRefusal } from "../consent/ledger.ts";
import { AppError } from "../http/app-error.ts";
import { problem } from "../http/problem.ts";
import type { Installation } from "../installation.ts";
import { isInCareOf } from "../records/care.ts";
import { listChatMessages } from "../rooms/chat.ts";
import { listRoomFiles, readRoomFile } from "../rooms/files.ts";
import { mayReadRoomRecord, type Room } from "../rooms/rooms.ts";
import type { Api } from "./api.ts";
import type { ApiEnv } from "./auth.ts";
import { cursorKey, paginate } from "./pagination.ts";
import { auditApiRead, tokenDetails } from "./read-audit.ts";
import { apiRoute, NOT_FOUND, PageQuery, pageOf, ProblemSchema, wholeListOf } from "./route.ts";
import { clientErased, RoomId, visibleRoom } from "./rooms.api.ts";
import { EXAMPLE } from "./examples.ts";

const Instant = z.string().openapi({ format: "date-time", example: "2025-03-14T09:42:10.000Z" });

const MessageSchema = z
  .object({
    id: z.number().int(),
    authorId: z.string(),
    author: z.string().openapi({ description: "The author's name; empty when they were erased.", example: "Dr Anna Berg" }),
    text: z.string().openapi({ example: "Here is the exercise we talked about." }),
    at: Instant,
  })
  .openapi("ChatMessage");

const FileSchema = z
  .object({ id: z.string(), name: z.string().openapi({ example: "results.pdf" }), mime: z.string(), size: z.number().int(), uploader: z.string().openapi({ description: "The uploader's name." }), createdAt: Instant })
  .openapi("SharedFile");

const GONE = { 410: { description: "The consultation's client was erased: nothing of it can be read.", content: { "application/problem+json": { schema: ProblemSchema } } } } as const;
const WITHHELD = { 403: { description: "The token lacks records:read, or the client withdrew consent to file sharing.", content: { "application/problem+json": { schema: ProblemSchema } } } } as const;

type Deps = Pick<Installation, "db" | "vault" | "clock" | "config">;

/** May read what was said and shared (module header). */
function mayReadContent(deps: Deps): (room: Room, appointment: Appointment | null, actor: Actor) => boolean {
  return (room, appointment, actor) => mayReadRoomRecord(deps.db, room, actor.personId) || (appointment !== null && isInCareOf(deps.db, actor, appointment.clientId));
}

/** The room whose content the token may read (else a 404), or "erased" when its client was. */
function readableRoom(deps: Deps, c: Context<ApiEnv>): { room: Room; appointment: Appointment | null } | "erased" {
  const found = visibleRoom(deps, c, c.req.param("id") ?? "", mayReadContent(deps));
  return clientErased(deps, found.appointment) ? "erased" : found;
}

const listMessages = apiRoute("records:read", {
  method: "get",
  path: "/rooms/{id}/messages",
  operationId: "listRoomMessages",
  tags: ["Records"],
  summary: "Read a consultation's chat",
  description: "Oldest first. Audited as `room.view`.",
  request: { params: RoomId, query: PageQuery },
  responses: { 200: { description: "A page of messages.", content: { "application/json": { schema: pageOf(MessageSchema, "ChatMessagePage") } } }, ...NOT_FOUND, ...GONE },
});

const listFiles = apiRoute("records:read", {
  method: "get",
  path: "/rooms/{id}/files",
  operationId: "listRoomFiles",
  tags: ["Records"],
  summary: "List a consultation's files",
  description: "With their names, oldest first. Audited as `room.view`.",
  request: { params: RoomId },
  responses: { 200: { description: "The files.", content: { "application/json": { schema: wholeListOf({ items: z.array(FileSchema) }, "SharedFileList", "a consultation's files come in one answer.") } } }, ...NOT_FOUND, ...GONE },
});

const downloadFile = apiRoute("records:read", {
  method: "get",
  path: "/rooms/{id}/files/{fileId}",
  operationId: "downloadRoomFile",
  tags: ["Records"],
  summary: "Download a file shared in a consultation",
  description: "The bytes, as an attachment named in `Content-Disposition`. Audited as `file.download`.",
  request: { params: RoomId.extend({ fileId: z.string().max(100).openapi({ description: "The file's id, from GET /rooms/{id}/files or the record summary.", example: EXAMPLE.fileId }) }) },
  responses: {
    200: { description: "The file's bytes, of its type (PDF, PNG, JPEG, text, DOCX, XLSX, ODT).", content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } },
    ...NOT_FOUND,
    ...GONE,
    ...WITHHELD,
  },
});

export function recordsApi(api: Api, deps: Installation): void {
  const fileDeps = { ...deps, filesDir: `${deps.config.dataDir}/files`, maxBytes: deps.config.maxUploadBytes, roomQuotaBytes: deps.config.roomFilesMaxBytes };
  const gone = (c: Context<ApiEnv>) => problem(c, 410, { detail: "The client of this consultation was erased: its chat and files can no longer be read by anyone." }) as never;

  api.openapi(listMessages, (c) => {
    const found = readableRoom(deps, c);
    if (found === "erased") return gone(c);
    const q = c.req.valid("query");
    const page = paginate(listChatMessages(deps, found.room.id), (m) => [m.id], q.limit, cursorKey(q.cursor, ["number"]));
    auditApiRead(deps, c, { action: ROOM_READ, target: found.room.id, details: { messages: page.items.length } });
    return c.json({ items: page.items.map((m) => ({ ...m, at: new Date(m.at).toISOString() })), next: page.next }, 200);
  });

  api.openapi(listFiles, (c) => {
    const found = readableRoom(deps, c);
    if (found === "erased") return gone(c);
    const files = listRoomFiles(deps, found.room.id);
    auditApiRead(deps, c, { action: ROOM_READ, target: found.room.id, details: { files: files.length } });
    return c.json({ items: files.map((f) => ({ ...f, createdAt: new Date(f.createdAt).toISOString() })), next: null }, 200);
  });

  api.openapi(downloadFile, async (c) => {
    const found = readableRoom(deps, c);
    if (found === "erased") return gone(c);
    const reader = c.get("holder").token.personId;
    const refusal = roomFileSharingRefusal(deps.db, reader, found.appointment?.clientId);
    if (refusal) {
      const detail = refusal === "own" ? "The token's owner withdrew their consent to file sharing." : "The client withdrew their consent to file sharing: their consultations' files are not given out.";
      return problem(c, 403, { detail }) as never;
    }
    const file = await readRoomFile(fileDeps, found.room.id, c.req.valid("param").fileId, reader, { details: tokenDetails(c) });
    if (!file) throw new AppError(404, "No file with this id in this room.");
    return c.body(new Uint8Array(file.bytes).buffer, 200, {
      "content-type": file.file.mime,
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.file.name)}`,
      "cache-control": "private, no-store",
      "content-security-policy": "sandbox; default-src 'none'",
    }) as never;
  });
}
