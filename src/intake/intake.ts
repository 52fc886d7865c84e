// A client's answers to their appointment's intake form.
//
// Protects: health data a client gives before a consultation. Invariants:
// - Sealed under the CLIENT's data key, bound to intake_responses.answers of the appointment's row, questions
//   included: erasing the client makes them unreadable everywhere (database, WAL, backups), and a row copied to
//   another appointment does not open.
// - Asked and shown only where `intakeMayBeUsed` says so (health-gate.ts: the client's consent to health data).
// - Written by the appointment's client alone, while it is booked and has not started (`intake.submit`, audited).
// - Read by the appointment's specialist and admins (`intake.view`, audited, target the client); for anyone else
//   the answers do not exist (the routes answer 404). The client sees their own answers unaudited.
// - An erased client's answers read as "erased", never as an error.
import { recordAudit } from "../audit/audit.ts";
import { type Appointment, getAppointment, listAppointments } from "../booking/appointments.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import { isErased } from "../privacy/erasure.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import { readDetailsOf, type RecordAccess, recordAccessOf } from "../records/care.ts";
import type { Role } from "../roles.ts";
import type { Vault } from "../vault/vault.ts";
import { type HealthDataAllowed, healthDataAllowed } from "./health-gate.ts";
import { askedForm, type IntakeForm, writeIntakeForm } from "./intake-forms.ts";
import { queueIntakeReminder } from "./intake-reminder.ts";
import { type Answer, type IntakeField, type IntakeProblem, parseAnswers, type ValidForm } from "./intake.schema.ts";
import * as store from "./intake.store.ts";

export interface IntakeDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
  /** Whether the client allows health data to be processed; health-gate.ts by default. */
  healthData?: HealthDataAllowed;
}

export interface IntakeViewer {
  personId: string;
  role: Role;
}

/** The one decision whether a client's intake form may be asked and its answers shown. */
export function intakeMayBeUsed(deps: Pick<IntakeDeps, "db" | "healthData">, clientId: string): boolean {
  return (deps.healthData ?? healthDataAllowed)(deps.db, clientId);
}

/**
 * Saves a service's form as its next version (audited), and, when clients are asked it, queues the reminder for each
 * upcoming booked appointment of the service that has none yet (booked before the form existed or was switched on).
 */
export function saveIntakeForm(deps: Pick<IntakeDeps, "db" | "vault">, serviceId: string, form: ValidForm, actor: string, now: number): IntakeForm {
  return deps.db.transaction(
    (tx) => {
      const saved = writeIntakeForm(tx, deps.vault, serviceId, form, actor, now);
      const upcoming = listAppointments(tx, { from: now, to: Number.MAX_SAFE_INTEGER }).filter((a) => a.serviceId === serviceId && a.status === "booked" && a.start > now);
      for (const a of upcoming) if (!store.getResponseRow(tx, a.id)) queueIntakeReminder(tx, deps.vault, a, now);
      return saved;
    },
    { behavior: "immediate" },
  );
}

/** Answers as stored (sealed): the questions they answered and the answers by question id. */
interface SealedAnswers {
  version: number;
  fields: IntakeField[];
  answers: Record<string, Answer>;
}

export interface IntakeResponse extends SealedAnswers {
  submittedAt: number;
  updatedAt: number;
}

const sealAnswers = (vault: Vault, clientId: string, appointmentId: string, a: SealedAnswers): Buffer =>
  Buffer.from(vault.sealField(clientId, "intake_responses", "answers", appointmentId, JSON.stringify(a)));

/** The stored answers, opened; "erased" when the client's key is destroyed; null when there are none. */
function openResponse(deps: Pick<IntakeDeps, "db" | "vault">, appointmentId: string): IntakeResponse | "erased" | null {
  const row = store.getResponseRow(deps.db, appointmentId);
  if (!row) return null;
  if (isErased(deps.db, row.clientId)) return "erased";
  let sealed: SealedAnswers;
  try {
    sealed = JSON.parse(deps.vault.openField(row.clientId, "intake_responses", "answers", appointmentId, row.answers)) as SealedAnswers;
  } catch (err) {
    // Erased between the check above and the opening: their answers are gone, which is not a fault.
    if (isErased(deps.db, row.clientId)) return "erased";
    throw err;
  }
  return { ...sealed, submittedAt: row.submittedAt, updatedAt: row.updatedAt };
}

/** Until the appointment starts, while it is booked. */
export function intakeEditable(a: Pick<Appointment, "status" | "start">, now: number): boolean {
  return a.status === "booked" && now < a.start;
}

/** What the appointment's client sees of its intake form; null for anyone else, or when there is nothing to show. */
export interface ClientIntake {
  appointment: Appointment;
  /** The form to fill now (current questions); null when it can no longer be filled or changed. */
  form: IntakeForm | null;
  response: IntakeResponse | null;
  /** The client has not allowed health data: nothing is asked or shown until they do. */
  withheld: boolean;
}

export function clientIntakeOf(deps: IntakeDeps, appointmentId: string, viewer: IntakeViewer, now: number): ClientIntake | null {
  const a = getAppointment(deps.db, appointmentId);
  if (!a || a.clientId !== viewer.personId || isErased(deps.db, a.clientId)) return null;
  const asked = askedForm(deps.db, a.serviceId);
  const hasResponse = store.getResponseRow(deps.db, a.id) !== null;
  if (!asked && !hasResponse) return null;
  if (!intakeMayBeUsed(deps, a.clientId)) return { appointment: a, form: null, response: null, withheld: true };
  const response = openResponse(deps, a.id);
  return { appointment: a, form: asked && intakeEditable(a, now) ? asked : null, response: response === "erased" ? null : response, withheld: false };
}

export type IntakeSubmit =
  | { ok: true; first: boolean }
  | { ok: false; reason: "not-found" | "closed" | "not-asked" | "withheld" | "restricted" }
  | { ok: false; reason: "invalid"; errors: Record<string, IntakeProblem>; values: Record<string, Answer> };

/** The client's answers, checked against the current questions, sealed and saved (replacing earlier answers). */
export function submitIntake(deps: IntakeDeps, appointmentId: string, viewer: IntakeViewer, form: Readonly<Record<string, string>>, now: number): IntakeSubmit {
  const a = getAppointment(deps.db, appointmentId);
  if (!a || a.clientId !== viewer.personId || isErased(deps.db, a.clientId)) return { ok: false, reason: "not-found" };
  const asked = askedForm(deps.db, a.serviceId);
  if (!asked) return { ok: false, reason: store.getResponseRow(deps.db, a.id) ? "not-asked" : "not-found" };
  if (!intakeMayBeUsed(deps, a.clientId)) return { ok: false, reason: "withheld" };
  if (isProcessingRestricted(deps.db, a.clientId)) return { ok: false, reason: "restricted" }; // GDPR art. 18: stored, not collected anew
  const parsed = parseAnswers(asked.fields, form);
  if (!parsed.ok) return { ok: false, reason: "invalid", errors: parsed.errors, values: parsed.values };
  return deps.db.transaction(
    (tx) => {
      // Checked again under the write lock: the appointment may have been cancelled or moved meanwhile.
      const current = getAppointment(tx, a.id);
      if (!current || !intakeEditable(current, now)) return { ok: false as const, reason: "closed" as const };
      const before = store.getResponseRow(tx, a.id);
      const answers = sealAnswers(deps.vault, a.clientId, a.id, { version: asked.version, fields: asked.fields, answers: parsed.answers });
      store.upsertResponseRow(tx, { appointmentId: a.id, clientId: a.clientId, formVersion: asked.version, answers, submittedAt: before?.submittedAt ?? now, updatedAt: now });
      recordAudit(tx, deps.vault, { actor: viewer.personId, action: "intake.submit", target: a.clientId, details: { appointment: a.id, version: asked.version, first: before === null }, at: now });
      return { ok: true as const, first: before === null };
    },
    { behavior: "immediate" },
  );
}

/** The questions with their answers, as the specialist reads them before the call. */
export interface IntakeAnswers {
  appointmentId: string;
  clientId: string;
  /** "erased": the client was erased, the answers cannot be opened; "withheld": their consent to health data is not
   * (or no longer) given. Questions and answers are listed only when "answered". */
  state: "answered" | "erased" | "withheld";
  formVersion: number;
  submittedAt: number;
  updatedAt: number;
  fields: IntakeField[];
  answers: Record<string, Answer>;
}

/** How the viewer may read an appointment's intake answers: as its specialist, or as the client's record opens to
 * them (their care, or a running break-glass grant); null: not at all. */
export type IntakeAccess = { via: "specialist" } | RecordAccess;

/**
 * The appointment's specialist, and whoever may open the client's record (src/records/care.ts): intake answers are
 * health data, so an admin outside the client's care reads them only through break-glass, like any other record.
 */
export function intakeAccessOf(deps: Pick<IntakeDeps, "db" | "vault">, a: Pick<Appointment, "specialistId" | "clientId">, viewer: IntakeViewer, now: number): IntakeAccess | null {
  if (a.specialistId === viewer.personId) return { via: "specialist" };
  return recordAccessOf(deps, viewer, a.clientId, now);
}

export function mayReadIntake(deps: Pick<IntakeDeps, "db" | "vault">, a: Pick<Appointment, "specialistId" | "clientId">, viewer: IntakeViewer, now: number): boolean {
  return intakeAccessOf(deps, a, viewer, now) !== null;
}

/**
 * The answers to an appointment's intake form for whoever mayReadIntake allows, the reading audited as `intake.view`
 * (target the client; under a break-glass grant with its id, so it stands out); null when there are none or the
 * viewer may not read them.
 */
export function intakeAnswersFor(deps: IntakeDeps, appointmentId: string, viewer: IntakeViewer): IntakeAnswers | null {
  const a = getAppointment(deps.db, appointmentId);
  const now = deps.clock.now();
  const access = a ? intakeAccessOf(deps, a, viewer, now) : null;
  if (!a || !access) return null;
  const row = store.getResponseRow(deps.db, a.id);
  if (!row) return null;
  const base = { appointmentId: a.id, clientId: row.clientId, formVersion: row.formVersion, submittedAt: row.submittedAt, updatedAt: row.updatedAt, fields: [], answers: {} };
  if (isErased(deps.db, row.clientId)) return { ...base, state: "erased" };
  if (!intakeMayBeUsed(deps, row.clientId)) return { ...base, state: "withheld" };
  const opened = openResponse(deps, a.id);
  if (opened === null || opened === "erased") return { ...base, state: "erased" };
  const grant = access.via === "break-glass" ? readDetailsOf(access) : {};
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: viewer.personId, action: "intake.view", target: row.clientId, details: { appointment: a.id, ...grant }, at: now }), { behavior: "immediate" });
  return { ...base, state: "answered", fields: opened.fields, answers: opened.answers };
}
/**
 * A client's intake answers for their record (src/records), newest appointment first: the record's own access rule
 * (the client's care, or a break-glass grant) already decided who reads, and its `record.view` audits the read. Like
 * every showing of answers, withheld while the client does not consent to health data.
 */
export function intakeForRecord(deps: Pick<IntakeDeps, "db" | "vault" | "healthData">, clientId: string): { state: "answered" | "erased" | "withheld"; responses: (IntakeResponse & { appointmentId: string })[] } {
  if (isErased(deps.db, clientId)) return { state: "erased", responses: [] };
  if (store.listResponseRowsOfClient(deps.db, clientId).length === 0) return { state: "answered", responses: [] };
  if (!intakeMayBeUsed(deps, clientId)) return { state: "withheld", responses: [] };
  return { state: "answered", responses: listIntakeOfClient(deps, clientId).sort((a, b) => b.submittedAt - a.submittedAt) };
}

/**
 * Every intake answer of a client, questions included, for their own copy of their data (the data-subject export):
 * empty once they are erased. The caller audits the export as a whole.
 */
export function listIntakeOfClient(deps: Pick<IntakeDeps, "db" | "vault">, clientId: string): (IntakeResponse & { appointmentId: string })[] {
  if (isErased(deps.db, clientId)) return [];
  return store.listResponseRowsOfClient(deps.db, clientId).flatMap((row) => {
    const opened = openResponse(deps, row.appointmentId);
    return opened && opened !== "erased" ? [{ ...opened, appointmentId: row.appointmentId }] : [];
  });
}
