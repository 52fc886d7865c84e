// Legal holds and restriction of processing (GDPR art. 17(3) and 18, 152-FZ art. 21, HIPAA's retention of records).
//
// Protects: records the law requires the organisation to keep. Invariants: while a hold stands on a client (not
// released, its end not reached) or a "keep at least" period covers their records, erasure is refused with the reason
// (privacy/erasure.ts mayErase asks erasureBlockOf) and the daily retention job purges none of the held records; a
// hold's reason (a law, a case number, which in practice often names the person) is sealed under the client's own key,
// so erasing them after the hold leaves no readable trace of it, and no hold is placed on an erased client; placing and
// releasing a hold and restricting processing are audited. A restricted client may not book or move an appointment
// (booking/appointments.ts), send intake answers (intake/intake.ts), and their appointment and intake reminders are
// skipped when due (booking-mail.ts, intake-mail.ts); cancelling and their own export stay possible (right of access);
// the data stays stored. An admin lifts a restriction (GDPR art. 18(3): the client is told before, outside the
// appliance); lifting is audited with the reason the restriction had and since when.
import { randomBytes } from "node:crypto";
import { recordAudit } from "../audit/audit.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";
import { CLIENT_RECORD_TYPES, type ClientRecordType, DAY_MS, getRetentionPolicy } from "./policy.ts";
import * as store from "./retention.store.ts";

export interface HoldDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
}

/** What a hold keeps: one type of the client's records, or all of them. */
export const HOLD_TYPES = ["all", ...CLIENT_RECORD_TYPES] as const;
export type HoldType = (typeof HOLD_TYPES)[number];

export interface LegalHold {
  id: string;
  recordType: HoldType;
  /** null once the client is erased: it was sealed under their key. */
  reason: string | null;
  until: number | null;
  createdAt: number;
  createdBy: string;
  releasedAt: number | null;
  /** Standing now: not released and its end not reached. */
  active: boolean;
}

export const REASON_MAX = 500;

export type PlaceHoldResult = { ok: true; hold: LegalHold } | { ok: false; problem: "reason" | "reasonLong" | "type" | "until" | "erased" };

/** Places a hold on the client's records of `recordType` until `until` (null: until released). */
export function placeHold(deps: HoldDeps, personId: string, input: { recordType: string; reason: string; until: number | null }, actor: string): PlaceHoldResult {
  const now = deps.clock.now();
  const reason = input.reason.trim();
  if (!(HOLD_TYPES as readonly string[]).includes(input.recordType)) return { ok: false, problem: "type" };
  if (reason === "") return { ok: false, problem: "reason" };
  if (reason.length > REASON_MAX) return { ok: false, problem: "reasonLong" };
  if (input.until !== null && input.until <= now) return { ok: false, problem: "until" };
  if (deps.vault.isShredded(personId)) return { ok: false, problem: "erased" }; // nothing of theirs is left to keep
  const id = randomBytes(12).toString("base64url");
  const row: store.HoldRow = {
    id,
    personId,
    recordType: input.recordType,
    reason: Buffer.from(deps.vault.sealField(personId, "legal_holds", "reason", id, reason)),
    until: input.until,
    createdBy: actor,
    createdAt: now,
    releasedAt: null,
    releasedBy: null,
  };
  deps.db.transaction(
    (tx) => {
      store.insertHold(tx, row);
      recordAudit(tx, deps.vault, { actor, action: "hold.place", target: personId, details: { hold: id, recordType: input.recordType, until: input.until }, at: now });
    },
    { behavior: "immediate" },
  );
  return { ok: true, hold: toHold(deps.vault, row, now) };
}

/** Releases a standing hold; false when there is no such hold on this person or it was released before. */
export function releaseHold(deps: HoldDeps, personId: string, holdId: string, actor: string): boolean {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      if (!store.releaseHoldRow(tx, personId, holdId, now, actor)) return false;
      recordAudit(tx, deps.vault, { actor, action: "hold.release", target: personId, details: { hold: holdId }, at: now });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** Every hold ever placed on the person, oldest first, their reasons opened. */
export function listHolds(deps: Omit<HoldDeps, "clock">, personId: string, now: number): LegalHold[] {
  return store.listHoldRows(deps.db, personId).map((r) => toHold(deps.vault, r, now));
}

function toHold(vault: Vault, r: store.HoldRow, now: number): LegalHold {
  return {
    id: r.id,
    recordType: r.recordType as HoldType,
    reason: vault.isShredded(r.personId) ? null : vault.openField(r.personId, "legal_holds", "reason", r.id, r.reason),
    until: r.until,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    releasedAt: r.releasedAt,
    active: r.releasedAt === null && (r.until === null || r.until > now),
  };
}

/** Why processing is restricted: records the law keeps, the client's request (art. 18(1)(a)-(c)), or their objection (art. 18(1)(d)). */
export const RESTRICTION_REASONS = ["legal-hold", "request", "objection"] as const;

export interface Restriction {
  reason: (typeof RESTRICTION_REASONS)[number];
  since: number;
}

/** The person's restriction of processing; null: none. */
export function processingRestriction(db: Queryable, personId: string): Restriction | null {
  const row = store.restrictionRow(db, personId);
  return row ? { reason: row.reason, since: row.since } : null;
}

export function isProcessingRestricted(db: Queryable, personId: string): boolean {
  return store.restrictionRow(db, personId) !== null;
}

/** Restricts processing of the person's data (instead of erasing it); false when it was restricted already. */
export function restrictProcessing(deps: HoldDeps, personId: string, reason: Restriction["reason"], actor: string): boolean {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      if (!store.insertRestriction(tx, { personId, reason, since: now, by: actor })) return false;
      recordAudit(tx, deps.vault, { actor, action: "processing.restrict", target: personId, details: { reason }, at: now });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** Lifts the person's restriction of processing; false when none stood. */
export function liftRestriction(deps: HoldDeps, personId: string, actor: string): boolean {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const lifted = store.deleteRestriction(tx, personId);
      if (!lifted) return false;
      recordAudit(tx, deps.vault, { actor, action: "processing.lift", target: personId, details: { reason: lifted.reason, since: lifted.since }, at: now });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** Why the client's records must be kept now: a standing hold, or a "keep at least" period; null: nothing. */
export type RetentionBlock =
  | { kind: "legal-hold"; recordTypes: HoldType[]; until: number | null }
  | { kind: "keep-at-least"; recordType: ClientRecordType; until: number };

/**
 * The first reason, holds first. A "keep at least" period runs from the client's last appointment that was not
 * cancelled, or from their newest record of that type when later (a note written after the last session).
 */
export function retentionBlockOf(db: Queryable, personId: string, now: number): RetentionBlock | null {
  const holds = store.activeHoldRows(db, personId, now);
  if (holds.length > 0) {
    const ends = holds.map((h) => h.until);
    return { kind: "legal-hold", recordTypes: [...new Set(holds.map((h) => h.recordType as HoldType))], until: ends.includes(null) ? null : Math.max(...(ends as number[])) };
  }
  const keptUntil = keepAtLeastUntil(db, personId);
  for (const type of CLIENT_RECORD_TYPES) {
    const until = keptUntil[type];
    if (until !== undefined && until > now) return { kind: "keep-at-least", recordType: type, until };
  }
  return null;
}

/** Until when each type of the client's records must be kept by the policy's "keep at least"; absent: no minimum. */
export function keepAtLeastUntil(db: Queryable, personId: string): Partial<Record<ClientRecordType, number>> {
  const policy = getRetentionPolicy(db);
  if (CLIENT_RECORD_TYPES.every((t) => policy[t].keepAtLeastDays === null)) return {};
  const newest = store.newestRecordTimes(db, personId);
  const lastAppointment = store.lastAppointmentEnd(db, personId);
  const out: Partial<Record<ClientRecordType, number>> = {};
  for (const type of CLIENT_RECORD_TYPES) {
    const days = policy[type].keepAtLeastDays;
    const recordAt = newest[type];
    if (days === null || recordAt === undefined) continue;
    out[type] = Math.max(recordAt, lastAppointment ?? 0) + days * DAY_MS;
  }
  return out;
}
