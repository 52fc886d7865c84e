import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { apiIdempotency, apiTokens } from "../db/schema.ts";

export type TokenRow = typeof apiTokens.$inferSelect;
export type IdempotencyRow = typeof apiIdempotency.$inferSelect;

export function insertTokenRow(db: Queryable, row: TokenRow): void {
  db.insert(apiTokens).values(row).run();
}

export function tokenRowByHash(db: Queryable, hash: Uint8Array): TokenRow | null {
  return db.select().from(apiTokens).where(eq(apiTokens.tokenHash, Buffer.from(hash))).get() ?? null;
}

export function tokenRow(db: Queryable, id: string): TokenRow | null {
  return db.select().from(apiTokens).where(eq(apiTokens.id, id)).get() ?? null;
}

/** Newest first; one person's, or everyone's. */
export function tokenRows(db: Queryable, personId?: string): TokenRow[] {
  const q = db.select().from(apiTokens);
  return (personId ? q.where(eq(apiTokens.personId, personId)) : q).orderBy(desc(apiTokens.createdAt)).all();
}

export function revokeTokenRow(db: Queryable, id: string, by: string, at: number): boolean {
  return db.update(apiTokens).set({ revokedAt: at, revokedBy: by }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.id }).all().length > 0;
}

/** Ends every live token of a person (deactivation, erasure). */
export function revokeTokenRowsOf(db: Queryable, personId: string, by: string, at: number): number {
  return db.update(apiTokens).set({ revokedAt: at, revokedBy: by }).where(and(eq(apiTokens.personId, personId), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.id }).all().length;
}

/** Records a use at most once a minute per token: a busy integration should not write on every request. */
export function touchTokenRow(db: Queryable, id: string, at: number): void {
  db.update(apiTokens)
    .set({ lastUsedAt: at })
    .where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, at - 60_000))))
    .run();
}

export function idempotencyRow(db: Queryable, tokenId: string, key: string): IdempotencyRow | null {
  return db.select().from(apiIdempotency).where(and(eq(apiIdempotency.tokenId, tokenId), eq(apiIdempotency.key, key))).get() ?? null;
}

/** Claims a key; false when it was already claimed (the caller then reads the row). */
export function claimIdempotencyRow(db: Queryable, row: Pick<IdempotencyRow, "tokenId" | "key" | "requestHash" | "createdAt">): boolean {
  return db.insert(apiIdempotency).values({ ...row, status: null, response: null }).onConflictDoNothing().returning({ key: apiIdempotency.key }).all().length > 0;
}

export function finishIdempotencyRow(db: Queryable, tokenId: string, key: string, status: number, response: Buffer): void {
  db.update(apiIdempotency).set({ status, response }).where(and(eq(apiIdempotency.tokenId, tokenId), eq(apiIdempotency.key, key))).run();
}

export function dropIdempotencyRow(db: Queryable, tokenId: string, key: string): void {
  db.delete(apiIdempotency).where(and(eq(apiIdempotency.tokenId, tokenId), eq(apiIdempotency.key, key))).run();
}

export function pruneIdempotencyRows(db: Queryable, before: number): number {
  return db.delete(apiIdempotency).where(lt(apiIdempotency.createdAt, before)).returning({ key: apiIdempotency.key }).all().length;
}
