// Consent to the processing of personal data: the organisation's text, in versions, and who accepted which.
//
// Invariants: a version's text never changes once saved (a changed text is a new version, numbered on), so an
// acceptance always points at the exact words the person saw; an acceptance is stored once per person and version
// with its time, in the transaction of the step that proves the person (registration's emailed code), and audited.
// Consent is asked only while the organisation requires it and a text exists. The texts are the organisation's
// words, not personal data: stored in clear. Acceptances go with the person when they are erased.
import { z } from "zod";
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { problem } from "../i18n/messages.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./consent.store.ts";

export interface ConsentText {
  version: number;
  text: string;
  createdAt: number;
}

export interface ConsentVersion extends ConsentText {
  /** How many people accepted this version. */
  accepted: number;
}

export interface ConsentPolicy {
  /** Whether registration asks for consent: the organisation requires it and there is a text to accept. */
  required: boolean;
  current: ConsentText | null;
}

export function consentPolicy(db: Queryable): ConsentPolicy {
  const current = store.latestConsentText(db);
  return { required: current !== null && store.readRequired(db), current };
}

/** Every version, newest first, with how many accepted it. */
export function consentHistory(db: Queryable): ConsentVersion[] {
  const counts = store.countConsentsByVersion(db);
  return store.listConsentTexts(db).map((v) => ({ ...v, accepted: counts.get(v.version) ?? 0 }));
}

export const consentSettingsSchema = z
  .object({
    required: z.boolean(),
    text: z.string().trim().max(5000, problem("tooLong")),
  })
  .refine((s) => !s.required || s.text.length > 0, { path: ["text"], message: problem("required") });

export type ConsentSettings = z.infer<typeof consentSettingsSchema>;

/** Saves whether consent is required and its text; a text unlike the current one becomes the next version. */
export function saveConsentSettings(db: Queryable, vault: Vault, s: ConsentSettings, actor: string, now: number): { version: number | null; newVersion: boolean } {
  return db.transaction(
    (tx) => {
      const current = store.latestConsentText(tx);
      const changed = s.text.length > 0 && s.text !== current?.text;
      const version = changed ? (current?.version ?? 0) + 1 : (current?.version ?? null);
      if (changed) store.insertConsentText(tx, { version: version!, text: s.text, createdAt: now });
      store.writeRequired(tx, s.required);
      recordAudit(tx, vault, { actor, action: "consent.change", details: { required: s.required, version, newVersion: changed } });
      return { version, newVersion: changed };
    },
    { behavior: "immediate" },
  );
}

export function consentTextExists(db: Queryable, version: number): boolean {
  return store.getConsentText(db, version) !== null;
}

/** Records that the person accepted this version now, in the caller's transaction; false for a version that does not exist. */
export function recordConsent(tx: Queryable, vault: Vault, personId: string, version: number, now: number): boolean {
  if (!store.getConsentText(tx, version)) return false;
  if (store.insertConsent(tx, { personId, version, acceptedAt: now })) {
    recordAudit(tx, vault, { actor: personId, action: "consent.accept", target: personId, details: { version } });
  }
  return true;
}

/** The version the person last accepted, and when; null if never. */
export function consentOf(db: Queryable, personId: string): { version: number; acceptedAt: number } | null {
  const row = store.latestConsentOf(db, personId);
  return row ? { version: row.version, acceptedAt: row.acceptedAt } : null;
}
