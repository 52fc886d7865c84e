// Data-subject requests (GDPR art. 15–22, 152-FZ art. 14, 20–21): a client's request for access, rectification,
// erasure, restriction, objection or portability, filed from their own account or recorded by staff from a mail, a
// letter, a call or a visit, and handled in a queue with the legal deadline.
//
// Protects: the person's right to an answer in time, and the organisation's proof that it answered. Invariants: the
// deadline is fixed when the request is received (requests-deadline.ts), by its law and what it asks, and moves only
// by an audited extension within the law's limit (the original deadline kept in the audit entry); the note and the outcome are
// sealed under the person's key (erasing them leaves the request's kind, dates and status, the organisation's proof,
// and makes its words unreadable); filing and closing are audited without the words; a request is closed once.
import { randomUUID } from "node:crypto";
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson } from "../people/people.ts";
import { LOCALES } from "../i18n/messages.ts";
import { getSettings } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import type { Clock } from "../clock.ts";
import { type DeadlineCase, dueAt, dueDay, type Law, LAWS, latestExtendedDueAt, mayExtend, urgency, type Urgency } from "./requests-deadline.ts";
import { queueExtensionMail } from "./requests-mail.ts";
import * as store from "./requests.store.ts";

export const REQUEST_KINDS = ["access", "rectification", "erasure", "restriction", "objection", "portability"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export const STAFF_CHANNELS = ["email", "letter", "phone", "in-person"] as const;
export type Channel = "account" | (typeof STAFF_CHANNELS)[number];
export type RequestStatus = store.RequestRow["status"];

export interface RequestDeps {
  db: Queryable;
  vault: Vault;
}

export interface PrivacyRequest {
  id: string;
  personId: string;
  /** The person's name; null once they are erased. */
  personName: string | null;
  kind: RequestKind;
  law: Law;
  channel: Channel;
  receivedAt: number;
  dueAt: number;
  /** The deadline before it was extended; null: not extended (a deadline is extended at most once). */
  extendedFrom: number | null;
  /** "consent-withdrawal": filed by withdrawing consent to processing (152-FZ's thirty days, no extension). */
  cause: "consent-withdrawal" | null;
  status: RequestStatus;
  /** Null when none was given or the person is erased (their key is gone). */
  note: string | null;
  outcome: string | null;
  createdBy: string;
  closedAt: number | null;
  closedBy: string | null;
}

export interface NewRequest {
  personId: string;
  kind: RequestKind;
  law: Law;
  channel: Channel;
  receivedAt: number;
  note?: string;
  /** Filed by the person withdrawing their consent (152-FZ art. 21 part 5 sets its own deadline). */
  cause?: DeadlineCase["cause"];
}

/** The requests an export answers: a copy of the data (GDPR art. 15, 152-FZ art. 14) or data to take elsewhere (art. 20). */
export const EXPORT_KINDS: readonly RequestKind[] = ["access", "portability"];

export type FileResult = { ok: true; request: PrivacyRequest } | { ok: false; reason: "not-a-client" | "erased" };
export type ExtendResult = { ok: true; dueAt: number } | { ok: false; reason: "not-found" | "closed" | "overdue" | "already-extended" | "not-extendable" | "not-later" | "too-far"; latest?: number };
export type CloseResult = { ok: true } | { ok: false; reason: "not-found" | "closed" | "reason-required" };

/** The organisation's clock: deadlines are days on it. */
export function orgTimeZone(db: Queryable): string {
  return getSettings(db)?.timeZone ?? "UTC";
}

/**
 * The law a request falls under unless the staff form says otherwise (a client's own request always takes it): the
 * organisation's choice, else 152-FZ for an organisation working in Russian and GDPR for one working in English.
 */
export function defaultLaw(db: Queryable): Law {
  const chosen = store.readDefaultLaw(db);
  if (chosen && (LAWS as readonly string[]).includes(chosen)) return chosen as Law;
  return getSettings(db)?.language === "ru" ? "152-fz" : "gdpr";
}

export function setDefaultLaw(deps: RequestDeps, law: Law, actor: string, now: number): void {
  deps.db.transaction(
    (tx) => {
      store.writeDefaultLaw(tx, law);
      recordAudit(tx, deps.vault, { actor, action: "privacy-request.default-law", details: { law }, at: now });
    },
    { behavior: "immediate" },
  );
}

/**
 * Files a request. The public holidays of 152-FZ's working days are not known to Kabinet yet (no calendar of the
 * organisation's free days exists): Monday to Friday count, which can make the shown deadline a few days early, never late.
 */
export function fileRequest(deps: RequestDeps & { clock: Clock }, input: NewRequest, actor: string): FileResult {
  const { db, vault } = deps;
  return db.transaction(
    (tx): FileResult => {
      const person = getPerson({ db: tx, vault }, input.personId);
      if (!person || person.role !== "client") return { ok: false, reason: "not-a-client" };
      if (person.erased) return { ok: false, reason: "erased" };
      const id = randomUUID();
      const note = input.note?.trim() ? Buffer.from(vault.sealField(person.id, "privacy_requests", "note", id, input.note.trim())) : null;
      const row = {
        id,
        personId: person.id,
        kind: input.kind,
        law: input.law,
        channel: input.channel,
        receivedAt: input.receivedAt,
        dueAt: dueAt(input.law, input.receivedAt, orgTimeZone(tx), { kind: input.kind, cause: input.cause }),
        extendedFrom: null,
        cause: input.cause ?? null,
        status: "open" as const,
        note,
        outcome: null,
        createdBy: actor,
        closedAt: null,
        closedBy: null,
      };
      store.insertRequestRow(tx, row);
      // Audited when it is recorded, not backdated to when the letter arrived: the log's times are its own.
      const details = { request: id, kind: input.kind, law: input.law, channel: input.channel, receivedAt: input.receivedAt, ...(input.cause ? { cause: input.cause } : {}) };
      recordAudit(tx, vault, { actor, action: "privacy-request.create", target: person.id, details, at: deps.clock.now() });
      return { ok: true, request: open(deps, row, person.name) };
    },
    { behavior: "immediate" },
  );
}

/**
 * Withdrawing consent to processing is also a demand to stop and destroy the data (152-FZ art. 21 part 5: within 30
 * days unless another legal basis applies; GDPR art. 17(1)(b), 21). Filed as an objection in the caller's transaction
 * (the withdrawal's), so staff see it in the queue with its deadline; the note, in the organisation's language, says
 * where it came from: the person writes nothing. Not filed for someone who is no client or is erased.
 */
export function fileWithdrawalRequest(deps: RequestDeps, w: { personId: string; actor: string; byStaff: boolean }, now: number): FileResult {
  const note = LOCALES[getSettings(deps.db)?.language ?? "en"].dataRights.withdrawalNote;
  // A withdrawal staff record from the person's signed form came on paper, not through the account.
  const channel: Channel = w.byStaff ? "letter" : "account";
  const input: NewRequest = { personId: w.personId, kind: "objection", law: defaultLaw(deps.db), channel, receivedAt: now, note, cause: "consent-withdrawal" };
  return fileRequest({ ...deps, clock: { now: () => now } }, input, w.actor);
}

/**
 * The request a withdrawal of consent to processing filed (fileWithdrawalRequest), found by its receipt at the
 * withdrawal's instant; null if none (withdrawn before this existed, or the person is no client).
 */
export function withdrawalRequestOf(deps: RequestDeps, personId: string, withdrawnAt: number): PrivacyRequest | null {
  const row = store.listRequestRowsOf(deps.db, personId).find((r) => r.kind === "objection" && r.receivedAt === withdrawnAt);
  return row ? open(deps, row) : null;
}

export function getRequest(deps: RequestDeps, id: string): PrivacyRequest | null {
  const row = store.getRequestRow(deps.db, id);
  return row ? open(deps, row) : null;
}

/** The queue: open requests, the nearest deadline first. */
export function listOpenRequests(deps: RequestDeps): PrivacyRequest[] {
  return store.listOpenRequestRows(deps.db).map((r) => open(deps, r));
}

/** The last closed requests, latest first: what was answered, and how. */
export function listClosedRequests(deps: RequestDeps, limit = 50): PrivacyRequest[] {
  return store.listClosedRequestRows(deps.db, limit).map((r) => open(deps, r));
}

/** A person's own requests, newest first (their account page and their data export). */
export function listRequestsOf(deps: RequestDeps, personId: string): PrivacyRequest[] {
  return store.listRequestRowsOf(deps.db, personId).map((r) => open(deps, r));
}

export function countOpenRequests(db: Queryable): number {
  return store.countOpenRequestRows(db);
}

/** Closes an open request as done or refused; a refusal must say why (the person is owed the reason, art. 12(4)). */
export function closeRequest(deps: RequestDeps, id: string, outcome: { status: "done" | "refused"; text: string }, actor: string, now: number): CloseResult {
  const { db, vault } = deps;
  const text = outcome.text.trim();
  if (outcome.status === "refused" && !text) return { ok: false, reason: "reason-required" };
  return db.transaction(
    (tx): CloseResult => {
      const row = store.getRequestRow(tx, id);
      if (!row) return { ok: false, reason: "not-found" };
      if (row.status !== "open") return { ok: false, reason: "closed" };
      const sealed = text && !vault.isShredded(row.personId) ? Buffer.from(vault.sealField(row.personId, "privacy_requests", "outcome", id, text)) : null;
      if (!store.closeRequestRow(tx, id, { status: outcome.status, outcome: sealed, closedAt: now, closedBy: actor })) return { ok: false, reason: "closed" };
      recordAudit(tx, vault, { actor, action: "privacy-request.close", target: row.personId, details: { request: id, kind: row.kind, status: outcome.status, late: now >= row.dueAt }, at: now });
      return { ok: true };
    },
    { behavior: "immediate" },
  );
}

/**
 * Why staff may not download a client's data to answer this request, or null when they may: only an open request for
 * a copy of the data or for portability is answered by an export, so the queue is no back door into any client's data.
 */
export function exportRefusal(r: Pick<PrivacyRequest, "kind" | "status">): "closed" | "kind" | null {
  if (r.status !== "open") return "closed";
  return EXPORT_KINDS.includes(r.kind) ? null : "kind";
}

const EXTEND_ACTION = "privacy-request.extend";

/** Whether the law lets this request's deadline be extended (once: an extended one is not extended again). */
export function requestMayBeExtended(r: Pick<PrivacyRequest, "law" | "kind" | "cause" | "extendedFrom">): boolean {
  return r.extendedFrom === null && mayExtend(r.law, { kind: r.kind, cause: r.cause ?? undefined });
}

/** The latest day the request's deadline may be moved to, as its law allows (see requests-deadline.ts). */
export function latestExtension(db: Queryable, r: Pick<PrivacyRequest, "law" | "dueAt">): number {
  return latestExtendedDueAt(r.law, r.dueAt, orgTimeZone(db));
}

/**
 * Extends an open request's deadline once, before it passes, to `until` (a day on the organisation's clock) within
 * the law's limit (GDPR art. 12(3): two further months; 152-FZ: five working days), and mails the person the new date
 * and the reason, which the law requires them to be told. The reason travels only in that mail, sealed under the
 * person's key in the job queue; the audit entry keeps the original deadline, not the words.
 */
export function extendRequest(deps: RequestDeps, id: string, e: { until: Temporal.PlainDate; reason: string }, actor: string, now: number): ExtendResult {
  const { db, vault } = deps;
  return db.transaction(
    (tx): ExtendResult => {
      const row = store.getRequestRow(tx, id);
      if (!row) return { ok: false, reason: "not-found" };
      if (row.status !== "open") return { ok: false, reason: "closed" };
      if (now >= row.dueAt) return { ok: false, reason: "overdue" };
      if (row.extendedFrom !== null) return { ok: false, reason: "already-extended" };
      if (!requestMayBeExtended(row)) return { ok: false, reason: "not-extendable" };
      const zone = orgTimeZone(tx);
      const latest = latestExtendedDueAt(row.law, row.dueAt, zone);
      if (Temporal.PlainDate.compare(e.until, dueDay(row.dueAt, zone)) <= 0) return { ok: false, reason: "not-later" };
      if (Temporal.PlainDate.compare(e.until, dueDay(latest, zone)) > 0) return { ok: false, reason: "too-far", latest };
      const extended = e.until.add({ days: 1 }).toZonedDateTime({ timeZone: zone }).toInstant().epochMilliseconds;
      if (!store.extendRequestDueAt(tx, id, row.dueAt, extended)) return { ok: false, reason: "closed" };
      recordAudit(tx, vault, { actor, action: EXTEND_ACTION, target: row.personId, at: now, details: { request: id, kind: row.kind, law: row.law, originalDueAt: row.dueAt, dueAt: extended } });
      if (!vault.isShredded(row.personId)) queueExtensionMail(tx, vault, { requestId: id, personId: row.personId, kind: row.kind, dueAt: extended, reason: e.reason }, now);
      return { ok: true, dueAt: extended };
    },
    { behavior: "immediate" },
  );
}

export function requestUrgency(r: Pick<PrivacyRequest, "dueAt" | "status">, now: number): Urgency | null {
  return r.status === "open" ? urgency(r.dueAt, now) : null;
}

function open(deps: RequestDeps, row: store.RequestRow, knownName?: string): PrivacyRequest {
  const shredded = deps.vault.isShredded(row.personId);
  const field = (column: "note" | "outcome", sealed: Uint8Array | null) =>
    sealed && !shredded ? deps.vault.openField(row.personId, "privacy_requests", column, row.id, sealed) : null;
  const personName = knownName ?? (shredded ? null : (getPerson(deps, row.personId)?.name ?? null));
  return {
    id: row.id,
    personId: row.personId,
    personName,
    kind: row.kind,
    law: row.law,
    channel: row.channel,
    receivedAt: row.receivedAt,
    dueAt: row.dueAt,
    extendedFrom: row.extendedFrom,
    cause: row.cause,
    status: row.status,
    note: field("note", row.note),
    outcome: field("outcome", row.outcome),
    createdBy: row.createdBy,
    closedAt: row.closedAt,
    closedBy: row.closedBy,
  };
}
