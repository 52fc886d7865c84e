// The consent ledger: who consented to which purpose, on which version of its text, when, how and recorded by whom;
// and who withdrew. What a withdrawal stops is decided here, once, for the places that must honour it.
//
// Invariants:
//   - Append-only. Giving and withdrawing each add an entry (consent_ledger); nothing is updated or deleted, so the
//     ledger is the evidence of what was agreed when (GDPR art. 7(1), 152-FZ art. 9(3)). Every entry is audited
//     (`consent.give`, `consent.withdraw`, target: the person) in the same transaction. Known limit: unlike
//     audit_log, no database trigger refuses UPDATE/DELETE yet (that needs a migration); until then
//     test/consent-ledger-append-only.test.ts fails on any code under src/ that updates or deletes ledger rows.
//   - A person's state for a purpose is their newest entry for it: "given" or "withdrawn"; no entry is "never".
//   - Consent is always given to the purpose's current text: a form showing an older version (stale page, forged
//     field) is refused, so an entry's version is exactly the words the person saw.
//   - Withdrawing is as easy as giving (art. 7(3)): one button on the person's own page; staff may record either on
//     the person's behalf from a signed paper form (method "staff", recordedBy names them).
//
// Re-consent after a new text version (a decision, stated here once):
//   - "health-data" and "recording" do NOT carry over: consent to special-category data (GDPR art. 9(2)(a), 152-FZ
//     art. 10) and to being recorded must be specific and informed, and a changed text may widen what is done. Until
//     the person agrees to the new version, `hasConsent` is false and their page asks again.
//   - "processing" and "file-sharing" carry over: a new version usually clarifies, and stopping every client's
//     bookings or file sharing whenever the organisation fixes a typo would punish the client for the organisation's
//     edit. Their page shows that a newer text exists, so they can read it and agree again or withdraw.
//
// What a withdrawal stops (tests: test/consent-withdrawal.test.ts):
//   - "processing": new bookings (booking's confirm step refuses and points to the consent page); and, in the same
//     transaction, an objection request is filed in the privacy queue (src/privacy/requests.ts) so staff stop and
//     destroy the rest within its deadline (152-FZ art. 21 part 5: 30 days) unless another legal basis applies.
//     Not stopped by itself (staff act on the request): appointments already booked, their reminders, the record
//     kept so far, and retention, which keeps its own periods.
//   - "file-sharing": uploads to and downloads from consultation rooms, for the client who withdrew; and, in an
//     appointment's room (sealed under its client, rooms.subject), for everyone there: the specialist can neither
//     add files to that client's record nor take their earlier files out once the client has withdrawn.
//   - "health-data": intake forms (`healthDataAllowed`, which src/intake calls) need it given, to the current text.
//   - "recording": nothing yet, since calls are not recorded; the page says so.
// "processing" and "file-sharing" are honoured as stop switches (refused once withdrawn, allowed when never asked),
// since existing clients were never asked for them; "health-data" and "recording" need a consent given.
// Entries hold ids only; the texts are the organisation's. An erased person's entries stay as evidence, nameless.
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { fileWithdrawalRequest } from "../privacy/requests.ts";
import type { Vault } from "../vault/vault.ts";
import { type ConsentDocument, type ConsentPurpose, CONSENT_PURPOSES, consentDocument, currentDocument } from "./consent.ts";
import * as store from "./consent.store.ts";

export type ConsentMethod = store.LedgerRow["method"];

/** Purposes whose consent does not carry over to a new version of the text. */
export const RECONSENT_PURPOSES: readonly ConsentPurpose[] = ["health-data", "recording"];

export interface LedgerEntry {
  id: number;
  purpose: ConsentPurpose;
  version: number;
  action: "given" | "withdrawn";
  method: ConsentMethod;
  recordedBy: string;
  at: number;
  /** The words of that version (null only if the text row is missing). */
  document: ConsentDocument | null;
}

export type PurposeState = "given" | "outdated" | "withdrawn" | "never";

export interface PurposeStatus {
  purpose: ConsentPurpose;
  /** The text in force; null while the organisation has written none for this purpose. */
  current: ConsentDocument | null;
  latest: LedgerEntry | null;
  /** given: consent holds; outdated: given to an older text where re-consent is needed; withdrawn; never asked. */
  state: PurposeState;
  /** Given to an older text of a purpose that carries over: still holds, but a newer text exists. */
  newerText: boolean;
}

export type ConsentChange = { ok: true; version: number } | { ok: false; reason: "no-text" | "stale-version" | "already-given" | "not-given" };

interface Recording {
  personId: string;
  purpose: ConsentPurpose;
  method: ConsentMethod;
  recordedBy: string;
  /** The version the person was shown; omitted when the current text is shown at this very moment (staff's paper). */
  version?: number;
}

function toEntry(db: Queryable, row: store.LedgerRow): LedgerEntry {
  return { ...row, document: consentDocument(db, row.purpose, row.version) };
}

/** Records a consent given to the purpose's current text, in the caller's transaction. */
export function giveConsent(tx: Queryable, vault: Vault, r: Recording, now: number): ConsentChange {
  const doc = currentDocument(tx, r.purpose);
  if (!doc) return { ok: false, reason: "no-text" };
  if (r.version !== undefined && r.version !== doc.version) return { ok: false, reason: "stale-version" };
  const latest = store.latestEntry(tx, r.personId, r.purpose);
  if (latest?.action === "given" && latest.version === doc.version) return { ok: false, reason: "already-given" };
  store.insertLedgerEntry(tx, { personId: r.personId, purpose: r.purpose, version: doc.version, action: "given", method: r.method, recordedBy: r.recordedBy, at: now });
  recordAudit(tx, vault, { actor: r.recordedBy, action: "consent.give", target: r.personId, at: now, details: { purpose: r.purpose, version: doc.version, method: r.method } });
  return { ok: true, version: doc.version };
}

/** Records a withdrawal of the consent the person holds for the purpose, in the caller's transaction. */
export function withdrawConsent(tx: Queryable, vault: Vault, r: Omit<Recording, "version">, now: number): ConsentChange {
  const latest = store.latestEntry(tx, r.personId, r.purpose);
  if (latest?.action !== "given") return { ok: false, reason: "not-given" };
  store.insertLedgerEntry(tx, { personId: r.personId, purpose: r.purpose, version: latest.version, action: "withdrawn", method: r.method, recordedBy: r.recordedBy, at: now });
  recordAudit(tx, vault, { actor: r.recordedBy, action: "consent.withdraw", target: r.personId, at: now, details: { purpose: r.purpose, version: latest.version, method: r.method } });
  if (r.purpose === "processing") fileWithdrawalRequest({ db: tx, vault }, { personId: r.personId, actor: r.recordedBy, byStaff: r.method === "staff" }, now);
  return { ok: true, version: latest.version };
}

/** The person's state for one purpose. */
export function purposeStatus(db: Queryable, personId: string, purpose: ConsentPurpose): PurposeStatus {
  const current = currentDocument(db, purpose);
  const row = store.latestEntry(db, personId, purpose);
  const latest = row ? toEntry(db, row) : null;
  const older = latest !== null && current !== null && latest.version < current.version;
  let state: PurposeState = latest === null ? "never" : latest.action === "withdrawn" ? "withdrawn" : "given";
  if (state === "given" && older && RECONSENT_PURPOSES.includes(purpose)) state = "outdated";
  return { purpose, current, latest, state, newerText: state === "given" && older };
}

/** Every purpose, in the schema's order. */
export function consentStatuses(db: Queryable, personId: string): PurposeStatus[] {
  return CONSENT_PURPOSES.map((p) => purposeStatus(db, personId, p));
}

/** Whether the person's consent for the purpose holds now: newest entry "given" (to the current text where re-consent is needed). */
export function hasConsent(db: Queryable, personId: string, purpose: ConsentPurpose): boolean {
  return purposeStatus(db, personId, purpose).state === "given";
}

/** Whether the person's newest entry for the purpose is a withdrawal. */
export function consentWithdrawn(db: Queryable, personId: string, purpose: ConsentPurpose): boolean {
  return store.latestEntry(db, personId, purpose)?.action === "withdrawn";
}

/** For intake forms: health data may be asked and kept only with the person's consent to the current text. */
export function healthDataAllowed(db: Queryable, personId: string): boolean {
  return hasConsent(db, personId, "health-data");
}

/** For rooms: a client who withdrew consent to sharing files neither uploads nor downloads. */
export function fileSharingAllowed(db: Queryable, personId: string): boolean {
  return !consentWithdrawn(db, personId, "file-sharing");
}

export type FileSharingRefusal = "own" | "room-subject";

/**
 * For rooms: why the viewer may not upload to or download from a room, or null when they may. `roomClient` is the
 * client whose key seals the room's chat and files (an appointment's room: its client; an ad-hoc room: none), so
 * their withdrawal holds for everyone in the room. The viewer's own withdrawal is checked first: they see their reason.
 */
export function roomFileSharingRefusal(db: Queryable, viewerId: string, roomClient: string | undefined): FileSharingRefusal | null {
  if (!fileSharingAllowed(db, viewerId)) return "own";
  if (roomClient !== undefined && roomClient !== viewerId && !fileSharingAllowed(db, roomClient)) return "room-subject";
  return null;
}

/** For booking: a client who withdrew consent to the processing of their data books nothing new. */
export function bookingAllowed(db: Queryable, personId: string): boolean {
  return !consentWithdrawn(db, personId, "processing");
}

/** Every entry of the person, oldest first, each with the words it points at. */
export function listLedger(db: Queryable, personId: string): LedgerEntry[] {
  return store.listEntries(db, personId).map((row) => toEntry(db, row));
}
