// What the two ledger pages (the client's own, the staff view) and their CSV downloads share: one person's statuses,
// entries and the names of who recorded them; the CSV (cells neutralised by src/http/csv.ts); the words for an
// outcome that changed nothing.
import type { Queryable } from "../db/client.ts";
import { csvDocument } from "../http/csv.ts";
import type { Locale, Messages } from "../i18n/messages.ts";
import { personName } from "../people/people.ts";
import { orgTimeZone, type PrivacyRequest, withdrawalRequestOf } from "../privacy/requests.ts";
import type { Vault } from "../vault/vault.ts";
import { type ConsentChange, consentStatuses, type LedgerEntry, listLedger, type PurposeStatus } from "./ledger.ts";

export interface LedgerView {
  personId: string;
  statuses: PurposeStatus[];
  entries: LedgerEntry[];
  /** Names by person id: the person and whoever recorded an entry for them; an erased person's is "". */
  names: Map<string, string>;
  /** Consent to processing withdrawn: the request to stop and destroy it filed, and the organisation's clock for its deadline. */
  stopRequest: { request: PrivacyRequest; timeZone: string } | null;
}

export function ledgerView(deps: { db: Queryable; vault: Vault }, personId: string): LedgerView {
  const entries = listLedger(deps.db, personId);
  const names = new Map<string, string>();
  for (const id of new Set([personId, ...entries.map((e) => e.recordedBy)])) {
    const name = personName(deps, id);
    if (name !== null) names.set(id, name);
  }
  const statuses = consentStatuses(deps.db, personId);
  const processing = statuses.find((s) => s.purpose === "processing");
  const request = processing?.state === "withdrawn" ? withdrawalRequestOf(deps, personId, processing.latest!.at) : null;
  return { personId, statuses, entries, names, stopRequest: request ? { request, timeZone: orgTimeZone(deps.db) } : null };
}

/** The ledger as CSV in the reader's language: times in UTC (ISO 8601), the words of each version included. */
export function ledgerCsv(view: LedgerView, t: Messages, locale: Locale): string {
  const rows = view.entries.map((e) => [
    new Date(e.at).toISOString(),
    t.consent.purposes[e.purpose],
    e.version,
    t.consent.actions[e.action],
    t.consent.methods[e.method],
    e.recordedBy === view.personId ? t.consent.self : view.names.get(e.recordedBy) || "—",
    e.document?.text[locale] ?? "",
  ]);
  return csvDocument(t.consent.csvHeader, rows);
}

export function csvHeaders(filename: string): Record<string, string> {
  return {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${filename}"`,
    "cache-control": "private, no-store",
  };
}

/** Why a give or withdraw changed nothing, in the reader's words. */
export function changeProblem(t: Messages, reason: Exclude<ConsentChange, { ok: true }>["reason"]): string {
  return reason === "stale-version" ? t.consent.staleVersion : reason === "already-given" ? t.consent.alreadyGiven : reason === "not-given" ? t.consent.notGiven : t.consent.noText;
}
