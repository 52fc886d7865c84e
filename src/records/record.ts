// The client record: who the client is, their appointments, what was said and shared in their consultations, their
// intake answers and the notes the viewer may read, opened in one audited read (`record.view`, target the client;
// under a break-glass grant with its id, so the read stands out and traces back to the stated reason).
import { recordAudit } from "../audit/audit.ts";
import { type Appointment, listAppointments } from "../booking/appointments.ts";
import { getService } from "../booking/services.ts";
import { listPeople, getPerson, personName } from "../people/people.ts";
import { type ChatMessage, listChatMessages } from "../rooms/chat.ts";
import { listRoomFiles, readRoomFile, type SharedFile } from "../rooms/files.ts";
import type { Installation } from "../installation.ts";
import { type CareActor, type CareDeps, clientsInCareOf, readDetailsOf, type RecordAccess, recordAccessOf } from "./care.ts";
import { roomFileSharingRefusal } from "../consent/ledger.ts";
import { intakeForRecord } from "../intake/intake.ts";
import { processingRestriction } from "../retention/holds.ts";
import { listNotesOfClient, type NoteSummary } from "./notes.ts";

export interface RecordAppointment {
  id: string;
  start: number;
  end: number;
  status: Appointment["status"];
  specialist: string;
  service: { en: string; ru: string } | null;
}

export interface ConsultationRecord {
  roomId: string;
  appointmentStart: number;
  chat: ChatMessage[];
  files: SharedFile[];
}

export interface ClientRecord {
  access: RecordAccess;
  client: { id: string; name: string; email: string; phone: string | null };
  /** Newest first: future ones on top. */
  appointments: RecordAppointment[];
  /** Rooms of the client's appointments that hold chat or files, newest first. */
  consultations: ConsultationRecord[];
  notes: NoteSummary[];
  /** The client withdrew consent to sharing files: their consultations' files are listed, not offered for download. */
  filesWithheld: boolean;
  /** Processing of the client's data is restricted (GDPR art. 18): shown on top, so their carers know. */
  restricted: ReturnType<typeof processingRestriction>;
  /** Intake answers of the client's appointments, newest first; none shown when erased or withheld (no consent). */
  intake: ReturnType<typeof intakeForRecord>;
}

/** Opens a client's record for the actor, audited as one read; null when they may not (the page is then not found). */
export function openClientRecord(deps: CareDeps, actor: CareActor, clientId: string, now: number): ClientRecord | null {
  const access = recordAccessOf(deps, actor, clientId, now);
  const person = access ? getPerson(deps, clientId) : null;
  if (!access || !person) return null;
  const all = listAppointments(deps.db, { clientId, from: 0, to: Number.MAX_SAFE_INTEGER }).sort((a, b) => b.start - a.start);
  const names = new Map<string, string>();
  const nameOf = (id: string) => names.get(id) ?? names.set(id, personName(deps, id) ?? "—").get(id)!;
  const appointments = all.map((a) => ({ id: a.id, start: a.start, end: a.end, status: a.status, specialist: nameOf(a.specialistId), service: getService(deps.db, a.serviceId)?.name ?? null }));
  const consultations = all
    .filter((a) => a.roomId !== null)
    .map((a) => ({ roomId: a.roomId!, appointmentStart: a.start, chat: listChatMessages(deps, a.roomId!), files: listRoomFiles(deps, a.roomId!) }))
    .filter((r) => r.chat.length > 0 || r.files.length > 0);
  const notes = listNotesOfClient(deps, actor, clientId, now) ?? [];
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actor.personId, action: "record.view", target: clientId, details: readDetailsOf(access), at: now }), { behavior: "immediate" });
  return { access, client: { id: person.id, name: person.name, email: person.email, phone: person.phone }, appointments, consultations, notes, filesWithheld: roomFileSharingRefusal(deps.db, actor.personId, clientId) !== null, restricted: processingRestriction(deps.db, clientId), intake: intakeForRecord(deps, clientId) };
}

/**
 * A file shared in one of the client's consultations, for a viewer who may open the record (the room's own download
 * route serves only its owner and the people it admitted; a supervisor or a break-glass reader comes through here).
 * The room's file read is audited as `file.download`; under a grant, a `record.view` naming the grant is added.
 */
export async function readRecordFile(
  deps: CareDeps & Pick<Installation, "config" | "clock">,
  actor: CareActor,
  clientId: string,
  roomId: string,
  fileId: string,
  now: number,
): Promise<{ name: string; mime: string; bytes: Uint8Array } | "withdrawn" | null> {
  const access = recordAccessOf(deps, actor, clientId, now);
  if (!access) return null;
  // The client withdrew consent to sharing files: nobody downloads them, here as in the room (src/consent).
  if (roomFileSharingRefusal(deps.db, actor.personId, clientId)) return "withdrawn";
  const ofClient = listAppointments(deps.db, { clientId, from: 0, to: Number.MAX_SAFE_INTEGER }).some((a) => a.roomId === roomId);
  if (!ofClient) return null;
  const fileDeps = { ...deps, filesDir: `${deps.config.dataDir}/files`, maxBytes: deps.config.maxUploadBytes, roomQuotaBytes: deps.config.roomFilesMaxBytes };
  const found = await readRoomFile(fileDeps, roomId, fileId, actor.personId);
  if (!found) return null;
  if (access.via === "break-glass") {
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actor.personId, action: "record.view", target: clientId, details: { ...readDetailsOf(access), file: fileId }, at: now }), { behavior: "immediate" });
  }
  return { name: found.file.name, mime: found.file.mime, bytes: found.bytes };
}

export interface ClientListEntry {
  id: string;
  name: string;
  inCare: boolean;
}

/** Most clients a list shows: names are sealed, so the search opens each one in memory; a bound keeps that cheap. */
export const CLIENT_LIST_MAX = 500;

/**
 * The clients a host may look for: their own (in their care); admins see every client, marked whether in their care.
 * Names are sealed, so the search runs over the opened names of this bounded list, never in SQL.
 */
export function listClientsFor(deps: CareDeps, actor: CareActor, query: string, now: number): { clients: ClientListEntry[]; more: boolean } {
  const mine = clientsInCareOf(deps.db, actor);
  const candidates =
    actor.role === "admin"
      ? listPeople(deps).filter((p) => p.role === "client" && !p.erased)
      : [...mine].map((id) => getPerson(deps, id)).filter((p): p is NonNullable<typeof p> => p !== null && p.role === "client" && !p.erased);
  const q = query.trim().toLocaleLowerCase();
  const matching = candidates
    .filter((p) => q === "" || p.name.toLocaleLowerCase().includes(q))
    .map((p) => ({ id: p.id, name: p.name, inCare: mine.has(p.id) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  // An admin's list names clients outside their care: recorded (no query, no names: only how many were shown).
  if (actor.role === "admin") {
    const shown = matching.slice(0, CLIENT_LIST_MAX);
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actor.personId, action: "clients.list", details: { count: shown.length, outsideCare: shown.filter((c) => !c.inCare).length }, at: now }), { behavior: "immediate" });
  }
  return { clients: matching.slice(0, CLIENT_LIST_MAX), more: matching.length > CLIENT_LIST_MAX };
}
