import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { type ConsentPurpose, consentDocuments, consentLedger, meta } from "../db/schema.ts";

export type ConsentDocumentRow = typeof consentDocuments.$inferSelect;
export type LedgerRow = typeof consentLedger.$inferSelect;
export type NewLedgerRow = Omit<LedgerRow, "id">;

// The one setting of this domain lives in the shared key/value table under its own key.
const REQUIRED_KEY = "consent.required";

export function latestDocument(db: Queryable, purpose: ConsentPurpose): ConsentDocumentRow | null {
  return db.select().from(consentDocuments).where(eq(consentDocuments.purpose, purpose)).orderBy(desc(consentDocuments.version)).limit(1).get() ?? null;
}

export function getDocument(db: Queryable, purpose: ConsentPurpose, version: number): ConsentDocumentRow | null {
  return db.select().from(consentDocuments).where(and(eq(consentDocuments.purpose, purpose), eq(consentDocuments.version, version))).get() ?? null;
}

/** Newest first. */
export function listDocuments(db: Queryable, purpose: ConsentPurpose): ConsentDocumentRow[] {
  return db.select().from(consentDocuments).where(eq(consentDocuments.purpose, purpose)).orderBy(desc(consentDocuments.version)).all();
}

export function insertDocument(db: Queryable, row: ConsentDocumentRow): void {
  db.insert(consentDocuments).values(row).run();
}

export function insertLedgerEntry(db: Queryable, row: NewLedgerRow): void {
  db.insert(consentLedger).values(row).run();
}

/** The person's newest entry for the purpose (by insertion order: two entries in one millisecond stay ordered). */
export function latestEntry(db: Queryable, personId: string, purpose: ConsentPurpose): LedgerRow | null {
  return db.select().from(consentLedger).where(and(eq(consentLedger.personId, personId), eq(consentLedger.purpose, purpose))).orderBy(desc(consentLedger.id)).limit(1).get() ?? null;
}

/** Every entry of the person, oldest first. */
export function listEntries(db: Queryable, personId: string): LedgerRow[] {
  return db.select().from(consentLedger).where(eq(consentLedger.personId, personId)).orderBy(asc(consentLedger.id)).all();
}

/** Per version of the purpose: how many people's newest entry for it is a consent given to that version. */
export function countCurrentConsents(db: Queryable, purpose: ConsentPurpose): Map<number, number> {
  const rows = db.all<{ version: number; n: number }>(sql`
    SELECT l.version AS version, count(*) AS n
    FROM ${consentLedger} l
    JOIN (SELECT person_id, max(id) AS id FROM ${consentLedger} WHERE purpose = ${purpose} GROUP BY person_id) newest ON newest.id = l.id
    WHERE l.action = 'given'
    GROUP BY l.version`);
  return new Map(rows.map((r) => [r.version, r.n]));
}

export function readRequired(db: Queryable): boolean {
  return db.select().from(meta).where(eq(meta.key, REQUIRED_KEY)).get()?.value === "true";
}

export function writeRequired(db: Queryable, required: boolean): void {
  db.insert(meta).values({ key: REQUIRED_KEY, value: String(required) }).onConflictDoUpdate({ target: meta.key, set: { value: String(required) } }).run();
}
