// The tamper-evident audit log (DESIGN.md decision 5).
//
// Protects: the record of who did what to whose data. Invariants: entries are only appended, inside the same
// transaction as the change they record; each entry's MAC covers its own fields and the previous entry's MAC, under
// the wrapped "audit" key, so editing, reordering or removing an entry in the middle breaks every MAC after it, and
// an attacker with the database but not the master key cannot forge a consistent chain. Triggers refuse UPDATE and
// DELETE. Entries name people only by pseudonymous id and carry no personal data, so erasure never breaks the chain.
// Removing the newest entries (truncating the tail) leaves a valid shorter chain: audit-head.ts answers that with a
// signed head recorded outside the database.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Queryable } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./audit.store.ts";

/** Values in details must not identify a person: ids, counts, codes and outcomes only. */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface AuditEvent {
  /** A person's id, or "system" / "cli". */
  actor: string;
  /** Dotted verb, e.g. "person.create", "keys.rotate". */
  action: string;
  /** The pseudonymous id of what was acted on. */
  target?: string | null;
  details?: AuditDetails;
  /** When it happened, where the caller holds the installation's clock (a rule reads these times back); else now. */
  at?: number;
}

const GENESIS = new Uint8Array(32);

/** Appends one entry. Call inside the caller's (immediate) transaction, so the entry lands exactly with its change. */
export function recordAudit(tx: Queryable, vault: Vault, event: AuditEvent): void {
  const last = store.lastAuditRow(tx);
  const row = {
    id: (last?.id ?? 0) + 1,
    at: event.at ?? Date.now(),
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    details: JSON.stringify(event.details ?? {}),
  };
  store.insertAuditRow(tx, { ...row, mac: Buffer.from(entryMac(vault.auditKey(), last?.mac ?? GENESIS, row)) });
}

/** A position in the chain: how many entries, and the MAC of the last (the genesis value for none). */
export interface ChainPoint {
  count: number;
  lastMac: Uint8Array;
}

export const CHAIN_START: ChainPoint = { count: 0, lastMac: GENESIS };

export type ChainWalk =
  | { ok: true; head: ChainPoint }
  | { ok: false; count: number; brokenId: number | null; reason: string };

/** Walks the whole chain; reports the first entry whose MAC or position does not hold. */
export function verifyAuditChain(db: Queryable, vault: Vault): ChainWalk {
  return walkAuditChain(db, vault, CHAIN_START);
}

/**
 * Walks the chain from `from`, a point verified before, to the newest entry. Checks that `from` is still in the
 * chain (its entry exists with the same MAC), so a page can verify only what is new; the entries before `from` are
 * trusted here and re-checked only by a full walk from CHAIN_START.
 */
export function walkAuditChain(db: Queryable, vault: Vault, from: ChainPoint): ChainWalk {
  if (!pointHolds(db, from)) {
    const last = store.lastAuditRow(db)?.id ?? 0;
    return last < from.count
      ? { ok: false, count: last, brokenId: null, reason: `the log ends at entry ${last}, but entry ${from.count} was verified before: the newest entries were removed` }
      : { ok: false, count: from.count - 1, brokenId: from.count, reason: "it differs from the entry verified before: the log was rewritten" };
  }
  const key = vault.auditKey();
  let previousMac = from.lastMac;
  let previousId = from.count;
  for (;;) {
    const rows = store.listAuditRowsAfter(db, previousId, 1000);
    if (rows.length === 0) return { ok: true, head: { count: previousId, lastMac: previousMac } };
    for (const row of rows) {
      if (row.id !== previousId + 1) {
        return { ok: false, count: previousId, brokenId: row.id, reason: `entries ${previousId + 1}–${row.id - 1} are missing` };
      }
      const expected = entryMac(key, previousMac, row);
      if (!sameBytes(expected, row.mac)) {
        return { ok: false, count: previousId, brokenId: row.id, reason: "its MAC does not match its contents and the chain" };
      }
      previousMac = row.mac;
      previousId = row.id;
    }
  }
}

/** Whether the chain still holds the entry at `point` with the same MAC (always true for the start). */
export function pointHolds(db: Queryable, point: ChainPoint): boolean {
  if (point.count === 0) return true;
  const mac = store.auditRowMac(db, point.count);
  return mac !== null && sameBytes(mac, point.lastMac);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

interface MacFields {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: string;
}

function entryMac(key: Uint8Array, previousMac: Uint8Array, e: MacFields): Uint8Array {
  const body = JSON.stringify([e.id, e.at, e.actor, e.action, e.target, e.details]);
  return new Uint8Array(createHmac("sha256", key).update(previousMac).update(body).digest());
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: AuditDetails;
}

/**
 * Re-creates the append-only triggers if someone dropped or altered them, and records that in the log itself.
 * Returns the names it re-created. Call in an immediate transaction.
 */
export function restoreAppendOnlyTriggers(tx: Queryable, vault: Vault): string[] {
  const broken = store.listBrokenAppendOnlyTriggers(tx);
  if (broken.length === 0) return broken;
  store.recreateAppendOnlyTriggers(tx, broken);
  recordAudit(tx, vault, { actor: "system", action: "audit.triggers-restored", details: { triggers: broken.join(",") } });
  return broken;
}

export type { AuditFilter } from "./audit.store.ts";

/** Up to `limit` entries after the entry with id `afterId`, oldest first: for readers that follow the log (anomalies). */
export function readAuditAfter(db: Queryable, afterId: number, limit: number): AuditEntry[] {
  return store.listAuditRowsAfter(db, afterId, limit).map(toEntry);
}

/** The newest entries matching the filter, for the admin's audit page. */
export function searchAudit(db: Queryable, filter: store.AuditFilter, limit = 200): AuditEntry[] {
  return store.searchAuditRows(db, filter, limit).map(toEntry);
}

function toEntry(r: store.AuditRow): AuditEntry {
  return { id: r.id, at: new Date(r.at), actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as AuditDetails };
}
