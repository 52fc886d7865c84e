// Who may open a client's record: the care relationship, supervision and break-glass.
//
// Protects: client records (notes, appointments, consultation chat and files) from colleagues with no part in the
// client's care. Invariants:
// - In a client's care: a host (specialist or admin) who has or had an appointment with them that was not cancelled
//   (booking and cancelling must not buy a lasting look at a stranger's record), who wrote a note about them, or who supervises such a specialist (table supervisions, set by admins, audited). Admins are not
//   in everyone's care: an admin outside it goes through break-glass like anyone else, so every look at a record
//   without a treating relationship has a stated reason, an alert and a review.
// - Break-glass: a host outside the care states a reason (at least BREAK_GLASS_REASON_MIN characters); a grant opens
//   the record for the organisation's break-glass minutes (default 30), its reason sealed under the CLIENT's key (so
//   erasing the client shreds it). The grant is audited as `record.break-glass`; its own alert is raised and its mail
//   to admins queued in the same transaction (src/anomalies): every grant is told at once, not only an hour's first.
//   After expiry the record is "not found" again.
// - Staff (reception) never break glass: they have no clinical reason to read a record.
// - Anything the viewer may not open is "not found", never "forbidden", whether or not the client exists.
import { raiseBreakGlassAlert } from "../anomalies/anomalies.ts";
import { recordAudit } from "../audit/audit.ts";
import { type Appointment, type AppointmentStatus, listAppointments } from "../booking/appointments.ts";
import type { Queryable } from "../db/client.ts";
import type { Installation } from "../installation.ts";
import { getPerson, personName } from "../people/people.ts";
import type { Role } from "../roles.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./care.store.ts";

export const BREAK_GLASS_REASON_MIN = 20;
export const BREAK_GLASS_REASON_MAX = 1000;
export const BREAK_GLASS_DEFAULT_MINUTES = 30;
/** The longest an admin may set: a grant is for an emergency, not a standing access. */
export const BREAK_GLASS_MAX_MINUTES = 240;

export interface CareDeps {
  db: Queryable;
  vault: Vault;
}

export interface CareActor {
  personId: string;
  role: Role;
}

/** How the viewer may open a client's record. */
export type RecordAccess = { via: "care" } | { via: "break-glass"; grantId: string; expiresAt: number };

const isHost = (role: Role): boolean => role === "specialist" || role === "admin";

/** Whether an appointment makes its specialist part of the client's care: any but a cancelled one. */
export function isCaringAppointment(a: { status: AppointmentStatus }): boolean {
  return a.status !== "cancelled";
}

/** The host's appointments with this client that put them in the client's care, oldest first. */
export function caringAppointmentsOf(db: Queryable, hostId: string, clientId: string): Appointment[] {
  return listAppointments(db, { specialistIds: [hostId], clientId, from: 0, to: Number.MAX_SAFE_INTEGER }).filter(isCaringAppointment);
}

/** The hosts directly caring for the client: an appointment with them not cancelled, or a note about them. */
function directCarers(db: Queryable, clientId: string): Set<string> {
  const ids = new Set(listAppointments(db, { clientId, from: 0, to: Number.MAX_SAFE_INTEGER }).filter(isCaringAppointment).map((a) => a.specialistId));
  for (const id of store.noteAuthorsAbout(db, clientId)) ids.add(id);
  return ids;
}

export function isInCareOf(db: Queryable, actor: CareActor, clientId: string): boolean {
  if (!isHost(actor.role)) return false;
  const carers = directCarers(db, clientId);
  return carers.has(actor.personId) || store.superviseesOf(db, actor.personId).some((s) => carers.has(s));
}

export function isSupervisorOf(db: Queryable, supervisorId: string, specialistId: string): boolean {
  return store.isSupervisorOf(db, supervisorId, specialistId);
}

/** Whether the id names a client not erased. */
export function isLiveClient(deps: CareDeps, clientId: string): boolean {
  const person = getPerson(deps, clientId);
  return person?.role === "client" && !person.erased;
}

/** How the actor may open this client's record at `now`; null: not at all (the record is then not found). */
export function recordAccessOf(deps: CareDeps, actor: CareActor, clientId: string, now: number): RecordAccess | null {
  if (!isHost(actor.role) || !isLiveClient(deps, clientId)) return null;
  if (isInCareOf(deps.db, actor, clientId)) return { via: "care" };
  const grant = store.activeGrant(deps.db, actor.personId, clientId, now);
  return grant ? { via: "break-glass", grantId: grant.id, expiresAt: grant.expiresAt } : null;
}

/** The audit details every read made under a grant carries, so each stands out and can be traced to its reason. */
export function readDetailsOf(access: RecordAccess): Record<string, string> {
  return access.via === "break-glass" ? { breakGlass: access.grantId } : {};
}

/** The ids of the clients in the actor's care (own appointments and notes, and those of the specialists they supervise). */
export function clientsInCareOf(db: Queryable, actor: CareActor): Set<string> {
  if (!isHost(actor.role)) return new Set();
  const carers = [actor.personId, ...store.superviseesOf(db, actor.personId)];
  const ids = new Set(listAppointments(db, { specialistIds: carers, from: 0, to: Number.MAX_SAFE_INTEGER }).filter(isCaringAppointment).map((a) => a.clientId));
  for (const c of carers) for (const id of store.clientsNotedBy(db, c)) ids.add(id);
  return ids;
}

// ── break-glass ──

export function breakGlassMinutes(db: Queryable): number {
  return store.readBreakGlassMinutes(db) ?? BREAK_GLASS_DEFAULT_MINUTES;
}

export function setBreakGlassMinutes(deps: CareDeps, adminId: string, minutes: number, now: number): "ok" | "out-of-range" {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > BREAK_GLASS_MAX_MINUTES) return "out-of-range";
  deps.db.transaction(
    (tx) => {
      store.writeBreakGlassMinutes(tx, minutes);
      recordAudit(tx, deps.vault, { actor: adminId, action: "settings.change", details: { breakGlassMinutes: minutes }, at: now });
    },
    { behavior: "immediate" },
  );
  return "ok";
}

export type BreakGlassResult = { ok: true; grantId: string; expiresAt: number } | { ok: false; reason: "not-found" | "in-care" | "reason-short" | "reason-long" };

/**
 * Opens the record of a client outside the actor's care for the organisation's break-glass minutes. In one
 * transaction: the grant (reason sealed under the client's key), the `record.break-glass` entry, the alert and the
 * mail to admins. A client who does not exist and a staff member asking are both "not-found".
 */
export function breakGlass(deps: Pick<Installation, "db" | "vault" | "config" | "log" | "clock">, actor: CareActor, clientId: string, reason: string, now: number): BreakGlassResult {
  if (!isHost(actor.role) || !isLiveClient(deps, clientId)) return { ok: false, reason: "not-found" };
  if (isInCareOf(deps.db, actor, clientId)) return { ok: false, reason: "in-care" };
  const text = reason.trim();
  if (text.length < BREAK_GLASS_REASON_MIN) return { ok: false, reason: "reason-short" };
  if (text.length > BREAK_GLASS_REASON_MAX) return { ok: false, reason: "reason-long" };
  const id = crypto.randomUUID();
  const expiresAt = now + breakGlassMinutes(deps.db) * 60_000;
  return deps.db.transaction(
    (tx) => {
      const sealed = Buffer.from(deps.vault.sealField(clientId, "break_glass_grants", "reason", id, text));
      store.insertGrant(tx, { id, staffId: actor.personId, clientId, reason: sealed, createdAt: now, expiresAt, reviewedAt: null, reviewedBy: null, verdict: null });
      recordAudit(tx, deps.vault, { actor: actor.personId, action: "record.break-glass", target: clientId, details: { grant: id, until: expiresAt }, at: now });
      raiseBreakGlassAlert(deps, tx, { id, actor: actor.personId }, now);
      return { ok: true as const, grantId: id, expiresAt };
    },
    { behavior: "immediate" },
  );
}

export interface GrantView {
  id: string;
  staffId: string;
  staffName: string;
  clientId: string;
  /** Null when the client is erased: their key, and with it the reason, is gone. */
  clientName: string | null;
  reason: string | null;
  createdAt: number;
  expiresAt: number;
  review: { verdict: "justified" | "unjustified"; by: string; at: number } | null;
}

/** Grants newest first, reasons opened for the reviewing admin; the listing itself is audited. */
export function listGrantsForReview(deps: CareDeps, adminId: string, now: number, limit = 200): GrantView[] {
  const rows = store.listGrantRows(deps.db, limit);
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: adminId, action: "break-glass.list", details: { count: rows.length }, at: now }), { behavior: "immediate" });
  return rows.map((r) => {
    const shredded = deps.vault.isShredded(r.clientId);
    return {
      id: r.id,
      staffId: r.staffId,
      staffName: personName(deps, r.staffId) ?? "—",
      clientId: r.clientId,
      clientName: shredded ? null : personName(deps, r.clientId),
      reason: shredded ? null : deps.vault.openField(r.clientId, "break_glass_grants", "reason", r.id, r.reason),
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      review: r.verdict && r.reviewedAt !== null ? { verdict: r.verdict, by: (r.reviewedBy && personName(deps, r.reviewedBy)) ?? "—", at: r.reviewedAt } : null,
    };
  });
}

export function countGrantsToReview(db: Queryable): number {
  return store.countUnreviewedGrants(db);
}

/** Records the admin's verdict on a grant, once; audited. Never the grant's own holder: a review is a second pair of eyes. */
export function reviewGrant(deps: CareDeps, adminId: string, grantId: string, verdict: "justified" | "unjustified", now: number): "ok" | "not-found" | "reviewed" | "own-grant" {
  return deps.db.transaction(
    (tx) => {
      const grant = store.getGrant(tx, grantId);
      if (!grant) return "not-found" as const;
      if (grant.staffId === adminId) return "own-grant" as const;
      if (!store.setVerdict(tx, grantId, verdict, adminId, now)) return "reviewed" as const;
      recordAudit(tx, deps.vault, { actor: adminId, action: "break-glass.review", target: grant.clientId, details: { grant: grantId, verdict, staff: grant.staffId }, at: now });
      return "ok" as const;
    },
    { behavior: "immediate" },
  );
}

// ── supervision ──

export interface SupervisionView {
  supervisorId: string;
  supervisor: string;
  specialistId: string;
  specialist: string;
  createdAt: number;
}

export function listSupervisions(deps: CareDeps): SupervisionView[] {
  return store.listSupervisionRows(deps.db).map((r) => ({
    supervisorId: r.supervisorId,
    supervisor: personName(deps, r.supervisorId) ?? "—",
    specialistId: r.specialistId,
    specialist: personName(deps, r.specialistId) ?? "—",
    createdAt: r.createdAt,
  }));
}

export type SupervisionChange = "ok" | "exists" | "not-found" | "same-person" | "not-host" | "own";

/** Makes one host the supervisor of a specialist (or admin who hosts): they then share that specialist's care. */
export function addSupervision(deps: CareDeps, adminId: string, supervisorId: string, specialistId: string, now: number): SupervisionChange {
  if (supervisorId === specialistId) return "same-person";
  // Supervision opens every record of the supervised: an admin granting it to themself would read them all without a
  // stated reason, an alert or a review (what break-glass is for). Another admin sets it for them.
  if (supervisorId === adminId) return "own";
  const [sup, spec] = [getPerson(deps, supervisorId), getPerson(deps, specialistId)];
  if (!sup || !spec || sup.erased || spec.erased) return "not-found";
  if (!isHost(sup.role) || !isHost(spec.role)) return "not-host";
  return deps.db.transaction(
    (tx) => {
      if (!store.insertSupervision(tx, { supervisorId, specialistId, createdAt: now, createdBy: adminId })) return "exists" as const;
      recordAudit(tx, deps.vault, { actor: adminId, action: "supervision.add", target: specialistId, details: { supervisor: supervisorId }, at: now });
      return "ok" as const;
    },
    { behavior: "immediate" },
  );
}

export function removeSupervision(deps: CareDeps, adminId: string, supervisorId: string, specialistId: string, now: number): "ok" | "not-found" {
  return deps.db.transaction(
    (tx) => {
      if (!store.deleteSupervision(tx, supervisorId, specialistId)) return "not-found" as const;
      recordAudit(tx, deps.vault, { actor: adminId, action: "supervision.remove", target: specialistId, details: { supervisor: supervisorId }, at: now });
      return "ok" as const;
    },
    { behavior: "immediate" },
  );
}
