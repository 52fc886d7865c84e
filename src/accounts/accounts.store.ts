import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { accounts, emailCodes, oneTimeLinks, people, recoveryCodes, signInFailures } from "../db/schema.ts";
import type { Role } from "../roles.ts";

export type AccountRow = typeof accounts.$inferSelect;
export type LinkRow = typeof oneTimeLinks.$inferSelect;

export function insertAccount(db: Queryable, row: typeof accounts.$inferInsert): void {
  db.insert(accounts).values(row).run();
}

export function getAccount(db: Queryable, personId: string): AccountRow | null {
  return db.select().from(accounts).where(eq(accounts.personId, personId)).get() ?? null;
}

export function updateAccount(db: Queryable, personId: string, values: Partial<Omit<AccountRow, "personId">>): void {
  db.update(accounts).set(values).where(eq(accounts.personId, personId)).run();
}

/** Accepts the TOTP step only if it is newer than the stored one: the database arbitrates a race of two requests. */
export function claimTOTPStep(db: Queryable, personId: string, step: number): boolean {
  const row = db.select({ last: accounts.totpLastStep }).from(accounts).where(eq(accounts.personId, personId)).get();
  if (!row || (row.last !== null && row.last >= step)) return false;
  db.update(accounts).set({ totpLastStep: step }).where(eq(accounts.personId, personId)).run();
  return true;
}

export function countActiveAdmins(db: Queryable): number {
  return db
    .select({ id: people.id })
    .from(people)
    .innerJoin(accounts, eq(accounts.personId, people.id))
    .where(and(eq(people.role, "admin"), eq(accounts.status, "active")))
    .all().length;
}

export function countAdmins(db: Queryable): number {
  return db.select({ id: people.id }).from(people).where(eq(people.role, "admin")).all().length;
}

export function setPersonRole(db: Queryable, personId: string, role: Role): void {
  db.update(people).set({ role }).where(eq(people.id, personId)).run();
}

export function replaceRecoveryCodes(db: Queryable, personId: string, hashes: Uint8Array[]): void {
  db.delete(recoveryCodes).where(eq(recoveryCodes.personId, personId)).run();
  for (const h of hashes) db.insert(recoveryCodes).values({ codeHash: Buffer.from(h), personId }).run();
}

/** Marks an unused code of this person used; false if there is none. */
export function useRecoveryCode(db: Queryable, personId: string, hash: Uint8Array, at: number): boolean {
  return (
    db
      .update(recoveryCodes)
      .set({ usedAt: at })
      .where(and(eq(recoveryCodes.codeHash, Buffer.from(hash)), eq(recoveryCodes.personId, personId), isNull(recoveryCodes.usedAt)))
      .returning({ personId: recoveryCodes.personId })
      .all().length === 1
  );
}

export function countUnusedRecoveryCodes(db: Queryable, personId: string): number {
  return db
    .select({ h: recoveryCodes.codeHash })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.personId, personId), isNull(recoveryCodes.usedAt)))
    .all().length;
}

export function deleteRecoveryCodes(db: Queryable, personId: string): void {
  db.delete(recoveryCodes).where(eq(recoveryCodes.personId, personId)).run();
}

export function deleteLinks(db: Queryable, personId: string): void {
  db.delete(oneTimeLinks).where(eq(oneTimeLinks.personId, personId)).run();
}

export function insertLink(db: Queryable, row: LinkRow): void {
  db.insert(oneTimeLinks).values(row).run();
}

export function getLink(db: Queryable, tokenHash: Uint8Array): LinkRow | null {
  return db.select().from(oneTimeLinks).where(eq(oneTimeLinks.tokenHash, Buffer.from(tokenHash))).get() ?? null;
}

/** Uses the link once: false if it was used meanwhile. */
export function markLinkUsed(db: Queryable, tokenHash: Uint8Array, at: number): boolean {
  return (
    db
      .update(oneTimeLinks)
      .set({ usedAt: at })
      .where(and(eq(oneTimeLinks.tokenHash, Buffer.from(tokenHash)), isNull(oneTimeLinks.usedAt)))
      .returning({ p: oneTimeLinks.personId })
      .all().length === 1
  );
}

/** A new link replaces the person's older unused links of the same purpose. */
export function expireOpenLinks(db: Queryable, personId: string, purpose: LinkRow["purpose"], at: number): void {
  db.update(oneTimeLinks)
    .set({ usedAt: at })
    .where(and(eq(oneTimeLinks.personId, personId), eq(oneTimeLinks.purpose, purpose), isNull(oneTimeLinks.usedAt)))
    .run();
}

export function getFailures(db: Queryable, key: string): { failures: number; windowStartedAt: number } | null {
  return db.select().from(signInFailures).where(eq(signInFailures.key, key)).get() ?? null;
}

export function putFailures(db: Queryable, key: string, failures: number, windowStartedAt: number): void {
  db.insert(signInFailures)
    .values({ key, failures, windowStartedAt })
    .onConflictDoUpdate({ target: signInFailures.key, set: { failures, windowStartedAt } })
    .run();
}

export function clearFailures(db: Queryable, key: string): void {
  db.delete(signInFailures).where(eq(signInFailures.key, key)).run();
}

export function deleteFailuresOlderThan(db: Queryable, before: number): number {
  return db.delete(signInFailures).where(lt(signInFailures.windowStartedAt, before)).returning({ key: signInFailures.key }).all().length;
}

export type EmailCodeRow = typeof emailCodes.$inferSelect;

export function getEmailCode(db: Queryable, personId: string): EmailCodeRow | null {
  return db.select().from(emailCodes).where(eq(emailCodes.personId, personId)).get() ?? null;
}

export function putEmailCode(db: Queryable, row: EmailCodeRow): void {
  db.insert(emailCodes).values(row).onConflictDoUpdate({ target: emailCodes.personId, set: row }).run();
}

export function countWrongGuess(db: Queryable, personId: string): void {
  db.update(emailCodes).set({ wrongGuesses: sql`${emailCodes.wrongGuesses} + 1` }).where(eq(emailCodes.personId, personId)).run();
}

export function deleteEmailCode(db: Queryable, personId: string): void {
  db.delete(emailCodes).where(eq(emailCodes.personId, personId)).run();
}

export function deleteExpiredEmailCodes(db: Queryable, now: number): number {
  return db.delete(emailCodes).where(lt(emailCodes.expiresAt, now)).returning({ p: emailCodes.personId }).all().length;
}
