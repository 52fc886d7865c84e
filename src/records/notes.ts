// Session notes: what a specialist writes about a client, kept as a legal record.
//
// Protects: the most sensitive text Kabinet holds. Invariants:
// - Sealed under the CLIENT's data key (subject = client id), bound to table, column and row, so erasing the client's
//   key makes every note, version and draft about them unreadable, in the database, its WAL and every backup.
// - Versioned: saving appends the next version; a saved version is never changed or removed. Autosave only replaces
//   the note's one draft (in place, sealed); the draft becomes a version when the author presses Save.
// - Finalised (signed off by the author): no version or draft is added after it.
// - Who reads: the author, the author's supervisors, and a host holding a running break-glass grant on the client
//   (care.ts; admins are no exception: outside the care they break glass). Who writes: the author alone; a new note by
//   a host (specialist or admin) who has or had an appointment with the client. Staff and clients never see notes; a
//   note the viewer may not read is "not found", never "forbidden", so its existence does not leak. Every read is
//   audited as `note.view` with the client as target (bulk-record-reads counts it), under a grant with its id;
//   every write as `note.create`, `note.edit`, `note.draft` (the first autosave of an editing round), `note.finalise`.
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson } from "../people/people.ts";
import type { Role } from "../roles.ts";
import type { Vault } from "../vault/vault.ts";
import { caringAppointmentsOf, isSupervisorOf, readDetailsOf, type RecordAccess, recordAccessOf } from "./care.ts";
import * as store from "./notes.store.ts";

// A form body is at most FORM_BYTES (128 KiB) url-encoded: a Cyrillic letter takes 6 bytes there, so 20,000 fit.
export const NOTE_MAX_CHARS = 20_000;

export interface NotesDeps {
  db: Queryable;
  vault: Vault;
}

export interface NoteActor {
  personId: string;
  role: Role;
}

export interface NoteSummary {
  id: string;
  clientId: string;
  authorId: string;
  appointmentId: string | null;
  addendumTo: string | null;
  createdAt: number;
  finalisedAt: number | null;
  versions: number;
}

export interface NoteVersion {
  version: number;
  authorId: string;
  createdAt: number;
  text: string;
}

export interface Note extends NoteSummary {
  /** Oldest first; the last one is the current text. */
  history: NoteVersion[];
  draft: { text: string; at: number } | null;
}

export type NoteChange = { ok: true; note: NoteSummary; changed: boolean } | { ok: false; reason: "not-found" | "finalised" | "empty" | "too-long" | "stale" | "draft-pending" };

const sealText = (vault: Vault, clientId: string, table: string, column: string, rowId: string, text: string): Buffer =>
  Buffer.from(vault.sealField(clientId, table, column, rowId, text));

function summaryOf(row: store.NoteRow, versions: number): NoteSummary {
  return { id: row.id, clientId: row.clientId, authorId: row.authorId, appointmentId: row.appointmentId, addendumTo: row.addendumTo, createdAt: row.createdAt, finalisedAt: row.finalisedAt, versions };
}

/** Given how the actor opens the client's record: the author, a supervisor of the author, or a break-glass grant. */
export function mayReadNote(db: Queryable, note: { authorId: string }, actor: NoteActor, access: RecordAccess): boolean {
  return note.authorId === actor.personId || access.via === "break-glass" || isSupervisorOf(db, actor.personId, note.authorId);
}

/** A host who has or had an appointment with this client, not cancelled (a note puts its author in the client's
 * care, so a cancelled booking must not open that door); they may start notes about them. */
export function mayWriteNotesFor(db: Queryable, actor: NoteActor, clientId: string): boolean {
  if (actor.role !== "specialist" && actor.role !== "admin") return false;
  return caringAppointmentsOf(db, actor.personId, clientId).length > 0;
}

/** Whether the id names a client (role client) not erased: notes are only ever about clients, and an erased client's
 * notes cannot be opened by anyone (their key is destroyed), so their pages are not found rather than broken. */
export function isClient(deps: NotesDeps, clientId: string): boolean {
  const person = getPerson(deps, clientId);
  return person?.role === "client" && !person.erased;
}

/**
 * The client's notes the actor may read, newest first, without their text; null when the actor may not open this
 * client's record at all (outside their care, no running break-glass grant): the page is then not found.
 */
export function listNotesOfClient(deps: NotesDeps, actor: NoteActor, clientId: string, now: number): NoteSummary[] | null {
  const access = recordAccessOf(deps, actor, clientId, now);
  if (!access) return null;
  return store
    .listNoteRowsOfClient(deps.db, clientId)
    .filter((n) => mayReadNote(deps.db, n, actor, access))
    .map((n) => summaryOf(n, n.versions));
}

function checkText(text: string): "empty" | "too-long" | null {
  if (text.trim().length === 0) return "empty";
  return text.length > NOTE_MAX_CHARS ? "too-long" : null;
}

/** A new note about a client, with its first version; null when the actor may not write about this client. */
export function createNote(
  deps: NotesDeps,
  actor: NoteActor,
  input: { clientId: string; text: string; appointmentId?: string | null; addendumTo?: string | null },
  now: number,
): NoteChange {
  if (!isClient(deps, input.clientId) || !mayWriteNotesFor(deps.db, actor, input.clientId)) return { ok: false, reason: "not-found" };
  const bad = checkText(input.text);
  if (bad) return { ok: false, reason: bad };
  const row: store.NoteRow = {
    id: crypto.randomUUID(),
    clientId: input.clientId,
    authorId: actor.personId,
    appointmentId: input.appointmentId ?? null,
    addendumTo: input.addendumTo ?? null,
    createdAt: now,
    finalisedAt: null,
    draft: null,
    draftAt: null,
  };
  return deps.db.transaction(
    (tx) => {
      store.insertNote(tx, row);
      appendVersion(tx, deps.vault, row, 1, actor.personId, input.text, now);
      recordAudit(tx, deps.vault, { actor: actor.personId, action: "note.create", target: row.clientId, details: { note: row.id, addendum: row.addendumTo !== null }, at: now });
      return { ok: true as const, note: summaryOf(row, 1), changed: true };
    },
    { behavior: "immediate" },
  );
}

function appendVersion(tx: Queryable, vault: Vault, note: store.NoteRow, version: number, authorId: string, text: string, now: number): void {
  const body = sealText(vault, note.clientId, "client_note_versions", "body", `${note.id}:${version}`, text);
  store.insertNoteVersion(tx, { noteId: note.id, version, authorId, createdAt: now, body });
}

function openVersion(vault: Vault, note: store.NoteRow, v: store.NoteVersionRow): NoteVersion {
  return { version: v.version, authorId: v.authorId, createdAt: v.createdAt, text: vault.openField(note.clientId, "client_note_versions", "body", `${note.id}:${v.version}`, v.body) };
}

/** The note with every version and its draft, audited as a read; null when it does not exist for this actor. */
export function readNote(deps: NotesDeps, actor: NoteActor, clientId: string, noteId: string, now: number): Note | null {
  const row = store.getNoteRow(deps.db, noteId);
  const access = row && row.clientId === clientId ? recordAccessOf(deps, actor, clientId, now) : null;
  if (!row || !access || !mayReadNote(deps.db, row, actor, access)) return null;
  const history = store.listNoteVersionRows(deps.db, row.id).map((v) => openVersion(deps.vault, row, v));
  const draft = row.draft && row.draftAt !== null ? { text: deps.vault.openField(row.clientId, "client_notes", "draft", row.id, row.draft), at: row.draftAt } : null;
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actor.personId, action: "note.view", target: row.clientId, details: { note: row.id, ...readDetailsOf(access) }, at: now }), { behavior: "immediate" });
  return { ...summaryOf(row, history.length), history, draft };
}

/** The author's own, still open note about a client not erased, inside a transaction; else why not. An erased
 * client's key is destroyed, so sealing a draft or version under it would fail: their notes are simply not found. */
function ownOpenNote(tx: Queryable, vault: Vault, actor: NoteActor, clientId: string, noteId: string): store.NoteRow | "not-found" | "finalised" {
  const row = store.getNoteRow(tx, noteId);
  if (!row || row.clientId !== clientId || row.authorId !== actor.personId || !isClient({ db: tx, vault }, clientId)) return "not-found";
  return row.finalisedAt !== null ? "finalised" : row;
}

/**
 * Saves the text as the next version when it differs from the current one, and drops the draft either way. `base` is
 * the version the edit form was opened on: when another save came in between (another tab), the text is refused as
 * "stale" rather than silently replacing what was saved meanwhile; the caller keeps the typed text for the author.
 */
export function saveNoteVersion(deps: NotesDeps, actor: NoteActor, clientId: string, noteId: string, text: string, base: number | null, now: number): NoteChange {
  const bad = checkText(text);
  return deps.db.transaction(
    (tx) => {
      const row = ownOpenNote(tx, deps.vault, actor, clientId, noteId);
      if (typeof row === "string") return { ok: false as const, reason: row };
      const latest = store.latestNoteVersionRow(tx, row.id)!;
      if (base !== latest.version) return { ok: false as const, reason: "stale" };
      if (bad) return { ok: false as const, reason: bad };
      const changed = openVersion(deps.vault, row, latest).text !== text;
      if (changed) {
        appendVersion(tx, deps.vault, row, latest.version + 1, actor.personId, text, now);
        recordAudit(tx, deps.vault, { actor: actor.personId, action: "note.edit", target: row.clientId, details: { note: row.id, version: latest.version + 1 }, at: now });
      }
      store.setNoteDraft(tx, row.id, null, null);
      return { ok: true as const, note: summaryOf(row, latest.version + (changed ? 1 : 0)), changed };
    },
    { behavior: "immediate" },
  );
}

/**
 * Autosave: replaces the note's draft in place (no version); audited once per editing round, at its first save.
 * `base` is the version the edit form was opened on: an autosave still in flight when Save made a newer version must
 * not bring the older text back as the draft (the edit page would offer it, and the next Save make it current).
 */
export function saveNoteDraft(deps: NotesDeps, actor: NoteActor, clientId: string, noteId: string, text: string, base: number | null, now: number): NoteChange {
  if (text.length > NOTE_MAX_CHARS) return { ok: false, reason: "too-long" };
  return deps.db.transaction(
    (tx) => {
      const row = ownOpenNote(tx, deps.vault, actor, clientId, noteId);
      if (typeof row === "string") return { ok: false as const, reason: row };
      if (base !== store.latestNoteVersionRow(tx, row.id)!.version) return { ok: false as const, reason: "stale" };
      store.setNoteDraft(tx, row.id, sealText(deps.vault, row.clientId, "client_notes", "draft", row.id, text), now);
      if (row.draft === null) recordAudit(tx, deps.vault, { actor: actor.personId, action: "note.draft", target: row.clientId, details: { note: row.id }, at: now });
      return { ok: true as const, note: summaryOf(row, 0), changed: true };
    },
    { behavior: "immediate" },
  );
}

/** Signs the note off: its current version is final. Refused while an unsaved draft is pending, so the author never
 * signs off a text other than the one they last typed without deciding (Save it, or Save the current text back). */
export function finaliseNote(deps: NotesDeps, actor: NoteActor, clientId: string, noteId: string, now: number): NoteChange {
  return deps.db.transaction(
    (tx) => {
      const row = ownOpenNote(tx, deps.vault, actor, clientId, noteId);
      if (typeof row === "string") return { ok: false as const, reason: row };
      if (row.draft !== null) return { ok: false as const, reason: "draft-pending" };
      store.setNoteFinalised(tx, row.id, now);
      const version = store.latestNoteVersionRow(tx, row.id)!.version;
      recordAudit(tx, deps.vault, { actor: actor.personId, action: "note.finalise", target: row.clientId, details: { note: row.id, version }, at: now });
      return { ok: true as const, note: summaryOf({ ...row, finalisedAt: now }, version), changed: true };
    },
    { behavior: "immediate" },
  );
}

/**
 * Where the host's Notes button on the call page leads: the editor of their open note for this appointment (with
 * autosave), else the client's notes page with a new note for the appointment. Null when they may not write about
 * the client (an appointment that is not theirs).
 */
export function callNotesHref(db: Queryable, actor: NoteActor, appointment: { id: string; clientId: string; specialistId: string }): string | null {
  if (appointment.specialistId !== actor.personId || !mayWriteNotesFor(db, actor, appointment.clientId)) return null;
  const open = store.openNoteRowOfAppointment(db, actor.personId, appointment.id);
  const base = `/clients/${appointment.clientId}/notes`;
  return open ? `${base}/${open.id}/edit` : `${base}?appointment=${appointment.id}#new-note`;
}
