import { count, desc, eq } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { consents, consentTexts, meta } from "../db/schema.ts";

export type ConsentTextRow = typeof consentTexts.$inferSelect;
export type ConsentRow = typeof consents.$inferSelect;

// The one setting of this domain lives in the shared key/value table under its own key.
const REQUIRED_KEY = "consent.required";

export function latestConsentText(db: Queryable): ConsentTextRow | null {
  return db.select().from(consentTexts).orderBy(desc(consentTexts.version)).limit(1).get() ?? null;
}

export function getConsentText(db: Queryable, version: number): ConsentTextRow | null {
  return db.select().from(consentTexts).where(eq(consentTexts.version, version)).get() ?? null;
}

/** Newest first. */
export function listConsentTexts(db: Queryable): ConsentTextRow[] {
  return db.select().from(consentTexts).orderBy(desc(consentTexts.version)).all();
}

export function insertConsentText(db: Queryable, row: ConsentTextRow): void {
  db.insert(consentTexts).values(row).run();
}

/** False when this person had already accepted this version (the first acceptance is the one kept). */
export function insertConsent(db: Queryable, row: ConsentRow): boolean {
  return db.insert(consents).values(row).onConflictDoNothing().returning({ v: consents.version }).all().length === 1;
}

/** How many people accepted each version that anyone accepted. */
export function countConsentsByVersion(db: Queryable): Map<number, number> {
  const rows = db.select({ version: consents.version, n: count() }).from(consents).groupBy(consents.version).all();
  return new Map(rows.map((r) => [r.version, r.n]));
}

/** The person's most recent acceptance. */
export function latestConsentOf(db: Queryable, personId: string): ConsentRow | null {
  return db.select().from(consents).where(eq(consents.personId, personId)).orderBy(desc(consents.version)).limit(1).get() ?? null;
}


export function readRequired(db: Queryable): boolean {
  return db.select().from(meta).where(eq(meta.key, REQUIRED_KEY)).get()?.value === "true";
}

export function writeRequired(db: Queryable, required: boolean): void {
  db.insert(meta).values({ key: REQUIRED_KEY, value: String(required) }).onConflictDoUpdate({ target: meta.key, set: { value: String(required) } }).run();
}
