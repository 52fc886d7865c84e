// CSV import of clients and specialists: upload, preview, import.
//
// Protects: the people directory from a half-done or surprising bulk change, and the uploaded list itself.
// Invariants:
// - Nothing is added before the person importing confirms the preview. The upload is kept sealed under the
//   organisation's key in csv_imports, seen only by whoever uploaded it, and deleted by the import or 24 hours after
//   the upload (a queued job), whichever comes first; an expired upload is never shown or imported even before that job ran.
// - The import adds exactly the rows the preview said it would ("Import N"), in ONE immediate transaction, each
//   through the accounts service as an admin adding a person (sealed fields, blind index, invited account, audit
//   entries). If any of them cannot be added (an email taken since the preview, the file judged differently), the
//   transaction is rolled back: nobody from the file is added, and the preview is shown again.
// - Invitations are mailed only when asked (default off): a clinic usually tells its clients before they get mail
//   from a new system. Without, each account waits "invited" and an admin sends the invitation from the person's page.
// - The audit log gets counts, never names: one entry for the upload, one for the import, beside the per-person
//   entries the accounts service writes.
// Who may import: admins; staff and admins may import clients (they add clients one at a time when booking), never
// specialists, whose view of the client list is limited to their own clients: a preview's "already here" answer
// would reveal every other one.
import { addPersonUninvited, invitePerson } from "../accounts/people-admin.ts";
import { recordAudit, searchAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import type { Installation } from "../installation.ts";
import { cancelJobs, enqueue, type Handler } from "../jobs/queue.ts";
import { findPersonByEmail, setPersonPreferences } from "../people/people.ts";
import type { Role } from "../roles.ts";
import { ORG_SUBJECT } from "../vault/vault.ts";
import { checkRows, countOutcomes, type OutcomeCounts, type RowOutcome } from "./check-rows.ts";
import { type ColumnUse, columnsOfForm, type MappingProblem, mappingProblems } from "./columns.ts";
import { type CsvTable, decodeCsv, type FileProblem, readCsv, readCsvFile } from "./csv-read.ts";
import * as store from "./imports.store.ts";

export type ImportDeps = Pick<Installation, "db" | "vault" | "config" | "log" | "clock">;
export type ImportKind = "clients" | "specialists";
export interface Importer {
  personId: string;
  role: Role;
}

/** How long an upload waits for its import. */
export const UPLOAD_LIFETIME_MS = 24 * 3600_000;
export const DISCARD_JOB = "csv-import.discard";
const ROLE_OF: Readonly<Record<ImportKind, Role>> = { clients: "client", specialists: "specialist" };

/** Whether this person may import this kind of people. */
export function mayImport(who: Importer, kind: ImportKind): boolean {
  return who.role === "admin" || (who.role === "staff" && kind === "clients");
}

export type UploadResult = { ok: true; id: string } | { ok: false; problem: FileProblem };

/** Keeps a readable file sealed until its preview is confirmed or it expires; a file that cannot be read is refused. */
export function storeUpload(deps: ImportDeps, kind: ImportKind, bytes: Uint8Array, who: Importer): UploadResult {
  const read = readCsvFile(bytes);
  if (!read.ok) return read;
  const id = crypto.randomUUID();
  const now = deps.clock.now();
  const text = decodeCsv(bytes)!; // readable, so UTF-8
  deps.db.transaction(
    (tx) => {
      store.deleteUploadRowsBefore(tx, now - UPLOAD_LIFETIME_MS);
      store.insertUploadRow(tx, { id, kind, createdBy: who.personId, content: Buffer.from(deps.vault.sealField(ORG_SUBJECT, "csv_imports", "content", id, text)), createdAt: now });
      enqueue(tx, deps.vault, { kind: DISCARD_JOB, dedupeKey: discardKey(id), subject: ORG_SUBJECT, payload: { id }, runAt: now + UPLOAD_LIFETIME_MS }, now);
      recordAudit(tx, deps.vault, { actor: who.personId, action: "csv-import.upload", target: id, details: { kind, rows: read.table.rows.length, bytes: bytes.length }, at: now });
    },
    { behavior: "immediate" },
  );
  return { ok: true, id };
}

export interface Preview {
  id: string;
  kind: ImportKind;
  createdAt: number;
  header: string[];
  /** The separator the file was read with (see detectDelimiter). */
  delimiter: "," | ";";
  columns: ColumnUse[];
  mappingProblems: MappingProblem[];
  outcomes: RowOutcome[];
  counts: OutcomeCounts;
  /** The rows "Import N" adds, in order. */
  rowsToAdd: number[];
}

/** The upload judged under the chosen mapping (guessed where the form names none); null when it is not this person's. */
export function previewImport(deps: ImportDeps, id: string, who: Importer, form: Readonly<Record<string, string | undefined>> = {}): Preview | null {
  const upload = openUpload(deps, id, who);
  if (!upload) return null;
  const { table } = upload;
  const columns = columnsOfForm(table.header, form);
  const problems = mappingProblems(columns);
  const outcomes = problems.length > 0 ? [] : checkRows(table.rows, columns, (email) => findPersonByEmail(deps, email) !== null);
  return {
    id,
    kind: upload.kind,
    createdAt: upload.createdAt,
    header: table.header,
    delimiter: table.delimiter,
    columns,
    mappingProblems: problems,
    outcomes,
    counts: countOutcomes(outcomes),
    rowsToAdd: outcomes.filter((o) => o.kind === "add").map((o) => o.row),
  };
}

export type ImportResult =
  | { ok: true; kind: ImportKind; added: number; invited: boolean }
  | { ok: false; reason: "not-found" | "mapping" | "nothing" }
  | { ok: false; reason: "changed"; row: number };

class RowChanged extends Error {
  constructor(readonly row: number) {
    super(`row ${row} cannot be added as previewed`);
  }
}

/**
 * Adds the rows the preview promised (`rows`, as the confirmation form carries them) under the same mapping, all or
 * none. `invite`: mail each person their invitation now; otherwise their accounts wait, invited, without a link.
 */
export function confirmImport(
  deps: ImportDeps,
  id: string,
  who: Importer,
  choice: { form: Readonly<Record<string, string | undefined>>; rows: readonly number[]; invite: boolean },
): ImportResult {
  const upload = openUpload(deps, id, who);
  if (!upload) return { ok: false, reason: "not-found" };
  const columns = columnsOfForm(upload.table.header, choice.form);
  if (mappingProblems(columns).length > 0) return { ok: false, reason: "mapping" };
  const rows = [...new Set(choice.rows)];
  if (rows.length === 0) return { ok: false, reason: "nothing" };
  // Judged without the directory: whoever is already here is found by the accounts service below, inside the lock.
  const byRow = new Map(checkRows(upload.table.rows, columns, () => false).map((o) => [o.row, o]));
  const role = ROLE_OF[upload.kind];
  const now = deps.clock.now();
  try {
    deps.db.transaction(
      (tx) => {
        const txDeps = { ...deps, db: tx };
        for (const n of rows) {
          const o = byRow.get(n);
          if (o?.kind !== "add") throw new RowChanged(n);
          const input = { role, name: o.person.name, email: o.person.email, phone: o.person.phone };
          const added = choice.invite ? invitePerson(txDeps, input, who.personId) : addPersonUninvited(txDeps, input, who.personId);
          if (added.kind === "email-taken") throw new RowChanged(n);
          const prefs = { ...(o.person.locale ? { locale: o.person.locale } : {}), ...(o.person.timeZone ? { timeZone: o.person.timeZone } : {}) };
          setPersonPreferences(tx, added.personId, prefs);
        }
        endUpload(tx, id);
        const skipped = upload.table.rows.length - rows.length;
        recordAudit(tx, deps.vault, { actor: who.personId, action: "people.import", target: id, details: { kind: upload.kind, added: rows.length, skipped, invited: choice.invite }, at: now });
      },
      { behavior: "immediate" },
    );
  } catch (err) {
    if (err instanceof RowChanged) return { ok: false, reason: "changed", row: err.row };
    throw err;
  }
  return { ok: true, kind: upload.kind, added: rows.length, invited: choice.invite };
}

export type UploadEnding = { kind: "imported"; added: number; invited: boolean } | { kind: "discarded" };

/**
 * What became of an upload that is gone, as its uploader did it: imported (how many, invited or not) or discarded.
 * Read from the audit log (the entry written in the same transaction as the deletion), so the page an import or a
 * discard redirects to can say what happened on every reload, and a form sent twice imports nothing twice. Null for
 * someone else's upload, one that expired, or none.
 */
export function uploadEnding(deps: ImportDeps, id: string, who: Importer): UploadEnding | null {
  const imported = searchAudit(deps.db, { actor: who.personId, actionPrefix: "people.import" }).find((e) => e.target === id);
  if (imported) return { kind: "imported", added: Number(imported.details.added), invited: imported.details.invited === true };
  const discarded = searchAudit(deps.db, { actor: who.personId, actionPrefix: "csv-import.discard" }).some((e) => e.target === id);
  return discarded ? { kind: "discarded" } : null;
}

/** Deletes an upload at its owner's wish; false when there is none of theirs. */
export function discardUpload(deps: ImportDeps, id: string, who: Importer): boolean {
  if (!openUpload(deps, id, who)) return false;
  deps.db.transaction(
    (tx) => {
      endUpload(tx, id);
      recordAudit(tx, deps.vault, { actor: who.personId, action: "csv-import.discard", target: id, at: deps.clock.now() });
    },
    { behavior: "immediate" },
  );
  return true;
}

/** The queued job that deletes an upload 24 hours after it was made (with any other expired one). */
export function discardUploadHandler(deps: Pick<Installation, "db">, now: () => number): Handler {
  return async () => {
    const removed = deps.db.transaction((tx) => store.deleteUploadRowsBefore(tx, now() - UPLOAD_LIFETIME_MS + 1), { behavior: "immediate" });
    return removed > 0 ? { status: "done" } : { status: "skipped", reason: "imported or discarded already" };
  };
}

function discardKey(id: string): string {
  return `csv-import:${id}`;
}

function endUpload(tx: Queryable, id: string): void {
  store.deleteUploadRow(tx, id);
  cancelJobs(tx, discardKey(id));
}

function openUpload(deps: ImportDeps, id: string, who: Importer): { kind: ImportKind; createdAt: number; table: CsvTable } | null {
  const row = store.getUploadRow(deps.db, id);
  if (!row || row.createdBy !== who.personId || !mayImport(who, row.kind)) return null;
  if (row.createdAt <= deps.clock.now() - UPLOAD_LIFETIME_MS) return null;
  const table = tableOf(deps.vault.openField(ORG_SUBJECT, "csv_imports", "content", id, row.content));
  return table ? { kind: row.kind, createdAt: row.createdAt, table } : null;
}

function tableOf(text: string): CsvTable | null {
  const read = readCsv(text);
  return read.ok ? read.table : null;
}
