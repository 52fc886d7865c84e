// "Who read client X's data between t1 and t2", answered from the hash-chained audit log.
//
// Protects: the data protection officer's answer to a data subject or an authority. Invariants: every action that
// reads one client's data is classified in read-actions.ts (a test keeps that list whole); entries that name the
// client through an appointment or its room are found through the client's appointments; the report states whether
// the log verified intact at the time it was made; and making the report is itself audited ("report.access"), since
// it shows who the client is. Known limit: lists of many clients at once (schedules, searches) are logged without a
// client and cannot be attributed (NOT_ONE_CLIENT_READS); an erased person's name is gone, their id stays; the
// reader's role is today's (entries keep no role). Measured: 2,000 reads among 100,000 entries over a year, 26–30 ms.
import type { AuditHeadTracker, AuditVerification } from "../audit/audit-head.ts";
import { type AuditDetails, recordAudit } from "../audit/audit.ts";
import { listAppointments } from "../booking/appointments.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson, personName, readingOf } from "../people/people.ts";
import type { Role } from "../roles.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./accountability.store.ts";
import { BREAK_GLASS, CLIENT_READ_ACTIONS, type ClientReadAction, type ReadTarget } from "./read-actions.ts";

export interface ReadsDeps {
  db: Queryable;
  vault: Vault;
  auditHead: AuditHeadTracker;
}

/** More reads than a practice's client sees in years: a report beyond it says it was cut and asks for a shorter range. */
export const READS_MAX = 10_000;

export interface ReadEntry {
  id: number;
  at: number;
  actorId: string;
  /** The reader's name; "" once they were erased; null for the console or the system. */
  actorName: string | null;
  actorRole: Role | null;
  action: ClientReadAction;
  details: AuditDetails;
  breakGlass: boolean;
}

export interface ReadsReport {
  client: { id: string; name: string; email: string; erased: boolean };
  from: number;
  to: number;
  entries: ReadEntry[];
  /** More than READS_MAX entries matched: only the first READS_MAX are listed. */
  truncated: boolean;
  verification: AuditVerification;
}

export interface ReadsQuery {
  clientId: string;
  /** Start (inclusive) and end (exclusive) instants. */
  from: number;
  to: number;
  /** Who asked, for the report's own audit entry, and how it was delivered. */
  viewerId: string;
  format: "page" | "csv";
  now: number;
}

/** The report, audited; null when no person has this id. */
export function reportClientReads(deps: ReadsDeps, q: ReadsQuery): ReadsReport | null {
  const person = getPerson(deps, q.clientId);
  if (!person) return null;
  const verification = deps.auditHead.check();
  const targets = targetsOf(deps.db, q.clientId);
  const rows = store.listAuditRowsAbout(deps.db, {
    actions: Object.keys(CLIENT_READ_ACTIONS),
    targets: [q.clientId, ...targets.appointments, ...targets.rooms],
    from: q.from,
    to: q.to,
    limit: READS_MAX + 1,
  });
  const readers = new Map<string, { name: string | null; role: Role | null }>();
  const readerOf = (id: string) => {
    let r = readers.get(id);
    if (!r) {
      r = { name: personName(deps, id), role: readingOf(deps.db, id)?.role ?? null };
      readers.set(id, r);
    }
    return r;
  };
  const entries = rows
    .filter((row) => isAbout(row, q.clientId, targets))
    .slice(0, READS_MAX)
    .map((row): ReadEntry => {
      const reader = readerOf(row.actor);
      const action = row.action as ClientReadAction;
      const details = JSON.parse(row.details) as AuditDetails;
      // The grant itself, and every read made under one (its details name the grant: care.ts readDetailsOf).
      const breakGlass = action === BREAK_GLASS || typeof details.breakGlass === "string";
      return { id: row.id, at: row.at, actorId: row.actor, actorName: reader.name, actorRole: reader.role, action, details, breakGlass };
    });
  deps.db.transaction(
    (tx) =>
      recordAudit(tx, deps.vault, {
        actor: q.viewerId,
        action: "report.access",
        target: q.clientId,
        details: { report: "reads", from: q.from, to: q.to, entries: entries.length, format: q.format },
        at: q.now,
      }),
    { behavior: "immediate" },
  );
  return {
    client: { id: person.id, name: person.name, email: person.email, erased: person.erased === true },
    from: q.from,
    to: q.to,
    entries,
    truncated: rows.length > READS_MAX,
    verification,
  };
}

interface ClientTargets {
  appointments: Set<string>;
  rooms: Set<string>;
}

/** The ids under which reads of this client are logged besides their own: their appointments and those rooms. */
function targetsOf(db: Queryable, clientId: string): ClientTargets {
  const list = listAppointments(db, { clientId, from: 0, to: Number.MAX_SAFE_INTEGER });
  return { appointments: new Set(list.map((a) => a.id)), rooms: new Set(list.flatMap((a) => (a.roomId ? [a.roomId] : []))) };
}

/** Whether an entry's target, read as its action says, is this client (a room id never counts as an appointment). */
function isAbout(row: store.AuditLogRow, clientId: string, targets: ClientTargets): boolean {
  const target = row.target ?? "";
  const kind: ReadTarget = CLIENT_READ_ACTIONS[row.action as ClientReadAction];
  if (kind === "client") return target === clientId;
  return kind === "appointment" ? targets.appointments.has(target) : targets.rooms.has(target);
}
