// The organisation's consent texts: one per purpose (processing of personal data, health data, sharing files in
// calls, recording), each in English and Russian, in versions; and whether registration asks for "processing".
//
// Invariants: a version's texts never change once saved (a changed text is the purpose's next version, numbered on),
// so a ledger entry (ledger.ts) always points at the exact words the person saw. Registration asks for consent only
// while the organisation requires it and a "processing" text exists. Every save is audited (`consent.change`). The
// texts are the organisation's words, not personal data: stored in clear.
import { z } from "zod";
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { CONSENT_PURPOSES, type ConsentPurpose } from "../db/schema.ts";
import { type Locale, problem } from "../i18n/messages.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./consent.store.ts";

export { CONSENT_PURPOSES, type ConsentPurpose };

export interface ConsentDocument {
  purpose: ConsentPurpose;
  version: number;
  text: { en: string; ru: string };
  createdAt: number;
}

/** One version's text in one language, as a form shows it. */
export interface ConsentText {
  version: number;
  text: string;
  createdAt: number;
}

export interface ConsentVersion extends ConsentDocument {
  /** How many people's consent for this purpose currently rests on this version (given, not withdrawn since). */
  consenting: number;
}

export interface ConsentPolicy {
  /** Whether registration asks for consent: the organisation requires it and there is a "processing" text. */
  required: boolean;
  current: ConsentText | null;
}

export function isConsentPurpose(value: string | undefined): value is ConsentPurpose {
  return (CONSENT_PURPOSES as readonly string[]).includes(value ?? "");
}

function toDocument(row: store.ConsentDocumentRow): ConsentDocument {
  return { purpose: row.purpose, version: row.version, text: { en: row.textEn, ru: row.textRu }, createdAt: row.createdAt };
}

export function currentDocument(db: Queryable, purpose: ConsentPurpose): ConsentDocument | null {
  const row = store.latestDocument(db, purpose);
  return row ? toDocument(row) : null;
}

export function consentDocument(db: Queryable, purpose: ConsentPurpose, version: number): ConsentDocument | null {
  const row = store.getDocument(db, purpose, version);
  return row ? toDocument(row) : null;
}

/** What registration asks, in the reader's language. */
export function consentPolicy(db: Queryable, locale: Locale = "en"): ConsentPolicy {
  const doc = currentDocument(db, "processing");
  const current = doc ? { version: doc.version, text: doc.text[locale], createdAt: doc.createdAt } : null;
  return { required: current !== null && store.readRequired(db), current };
}

/** Whether the organisation's switch is on (whatever texts exist). */
export function consentRequiredSetting(db: Queryable): boolean {
  return store.readRequired(db);
}

/** Every version of the purpose, newest first, with how many currently consent on it. */
export function consentHistory(db: Queryable, purpose: ConsentPurpose): ConsentVersion[] {
  const counts = store.countCurrentConsents(db, purpose);
  return store.listDocuments(db, purpose).map((row) => ({ ...toDocument(row), consenting: counts.get(row.version) ?? 0 }));
}

const textSchema = z.string().trim().max(5000, problem("tooLong"));

export const consentTextSchema = z
  .object({
    textEn: textSchema,
    textRu: textSchema,
    // Only the "processing" form carries it; the other purposes leave the setting alone.
    required: z.boolean().optional(),
  })
  // A text is both languages or neither: a reader of either must see the words they agree to.
  .superRefine((s, ctx) => {
    if (s.required && !s.textEn) ctx.addIssue({ code: "custom", path: ["textEn"], message: problem("required") });
    if (s.required && !s.textRu) ctx.addIssue({ code: "custom", path: ["textRu"], message: problem("required") });
    if (!s.required && (s.textEn === "") !== (s.textRu === "")) ctx.addIssue({ code: "custom", path: [s.textEn ? "textRu" : "textEn"], message: problem("required") });
  });

export type ConsentTextInput = z.infer<typeof consentTextSchema>;

/** Saves a purpose's texts (a change makes the next version) and, for "processing", whether registration asks. */
export function saveConsentText(
  db: Queryable,
  vault: Vault,
  purpose: ConsentPurpose,
  s: ConsentTextInput,
  actor: string,
  now: number,
): { version: number | null; newVersion: boolean } {
  return db.transaction(
    (tx) => {
      const current = store.latestDocument(tx, purpose);
      const changed = s.textEn.length > 0 && (s.textEn !== current?.textEn || s.textRu !== current?.textRu);
      const version = changed ? (current?.version ?? 0) + 1 : (current?.version ?? null);
      if (changed) store.insertDocument(tx, { purpose, version: version!, textEn: s.textEn, textRu: s.textRu, createdAt: now, createdBy: actor });
      const required = purpose === "processing" ? (s.required ?? false) : undefined;
      if (required !== undefined) store.writeRequired(tx, required);
      recordAudit(tx, vault, { actor, action: "consent.change", at: now, details: { purpose, version, newVersion: changed, ...(required === undefined ? {} : { required }) } });
      return { version, newVersion: changed };
    },
    { behavior: "immediate" },
  );
}

/** For the account page: the "processing" version the person consents to now, and since when; null if none. */
export function consentOf(db: Queryable, personId: string): { version: number; acceptedAt: number } | null {
  const row = store.latestEntry(db, personId, "processing");
  return row?.action === "given" ? { version: row.version, acceptedAt: row.at } : null;
}
