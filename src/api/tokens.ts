// API tokens: how an integration (a CRM, a clinic system, a payment bridge) proves who it acts for.
//
// Protects: every API route. A token is "kbt_" + 256 random bits; only its SHA-256 is stored (enough for a secret
// this long), so a copy of the database opens nothing. It is shown once, when created.
// Invariants: a token acts as the person it belongs to and never beyond their role: its scopes are checked against
// the role on every request (a role change narrows live tokens at once); an expired, revoked token or one whose owner
// is no longer active answers 401; deactivating, erasing or changing the role of a person revokes their tokens.
// Known limit: the last-use time is written at most once a minute.
import { recordAudit } from "../audit/audit.ts";
import { getAccount } from "../accounts/accounts.store.ts";
import type { Clock } from "../clock.ts";
import { hashToken } from "../crypto/token.ts";
import type { Queryable } from "../db/client.ts";
import { readingOf } from "../people/people.ts";
import type { Role } from "../roles.ts";
import type { Vault } from "../vault/vault.ts";
import { isScope, type Scope, scopesFor } from "./scopes.ts";
import * as store from "./tokens.store.ts";
import { randomBytes } from "node:crypto";

export interface TokenDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
}

export interface ApiToken {
  id: string;
  personId: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  ratePerMinute: number;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export const TOKEN_PREFIX = "kbt_";
export const TOKEN_NAME_MAX = 80;
export const DEFAULT_RATE_PER_MINUTE = 600;
export const MAX_RATE_PER_MINUTE = 6000;
/** Longest a token may live: integrations are re-keyed at least yearly. */
export const MAX_TOKEN_DAYS = 366;

export interface NewToken {
  personId: string;
  name: string;
  scopes: readonly string[];
  expiresAt: number;
  ratePerMinute?: number;
}

export type CreateTokenResult =
  | { ok: true; token: ApiToken; secret: string }
  | { ok: false; reason: "name" | "scopes" | "scope-not-allowed" | "expiry" | "rate" | "owner" };

export function createToken(deps: TokenDeps, input: NewToken, actor: string): CreateTokenResult {
  const now = deps.clock.now();
  const name = input.name.trim();
  if (!name || name.length > TOKEN_NAME_MAX) return { ok: false, reason: "name" };
  const scopes = [...new Set(input.scopes)];
  if (scopes.length === 0 || !scopes.every(isScope)) return { ok: false, reason: "scopes" };
  if (!(input.expiresAt > now && input.expiresAt <= now + MAX_TOKEN_DAYS * 86_400_000)) return { ok: false, reason: "expiry" };
  const rate = input.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE;
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE_PER_MINUTE) return { ok: false, reason: "rate" };
  const role = activeRole(deps.db, input.personId);
  if (!role) return { ok: false, reason: "owner" };
  const allowed = scopesFor(role);
  if (!scopes.every((s) => allowed.includes(s as Scope))) return { ok: false, reason: "scope-not-allowed" };

  const secret = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const row: store.TokenRow = {
    id: crypto.randomUUID(),
    personId: input.personId,
    name,
    tokenHash: Buffer.from(hashToken(secret)),
    prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
    scopes: JSON.stringify(scopes),
    ratePerMinute: rate,
    createdBy: actor,
    createdAt: now,
    expiresAt: input.expiresAt,
    revokedAt: null,
    revokedBy: null,
    lastUsedAt: null,
  };
  deps.db.transaction(
    (tx) => {
      store.insertTokenRow(tx, row);
      recordAudit(tx, deps.vault, { at: now, actor, action: "api-token.create", target: row.id, details: { owner: input.personId, scopes: scopes.join(" "), expiresAt: input.expiresAt } });
    },
    { behavior: "immediate" },
  );
  return { ok: true, token: toToken(row), secret };
}

export function listTokens(db: Queryable, personId?: string): ApiToken[] {
  return store.tokenRows(db, personId).map(toToken);
}

export function getToken(db: Queryable, id: string): ApiToken | null {
  const row = store.tokenRow(db, id);
  return row ? toToken(row) : null;
}

/** Revokes a token; `ownerOnly` limits it to the person's own tokens (a specialist's page). */
export function revokeToken(deps: TokenDeps, id: string, actor: string, options: { ownerOnly?: string } = {}): boolean {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = store.tokenRow(tx, id);
      if (!row || (options.ownerOnly && row.personId !== options.ownerOnly)) return false;
      if (!store.revokeTokenRow(tx, id, actor, now)) return false;
      recordAudit(tx, deps.vault, { at: now, actor, action: "api-token.revoke", target: id, details: { owner: row.personId } });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** Ends a person's tokens in the caller's transaction (which audits the change that caused it). */
export function endApiTokens(tx: Queryable, personId: string, actor: string, at: number): number {
  return store.revokeTokenRowsOf(tx, personId, actor, at);
}

export interface TokenHolder {
  token: ApiToken;
  role: Role;
}

export type TokenCheck = { ok: true; holder: TokenHolder } | { ok: false; reason: "missing" | "malformed" | "unknown" | "expired" | "revoked" | "inactive" };

/** Who a bearer secret acts for, or why not. Records the use (at most once a minute). */
export function authenticateToken(db: Queryable, secret: string | null, now: number): TokenCheck {
  if (secret === null) return { ok: false, reason: "missing" };
  if (!/^kbt_[A-Za-z0-9_-]{43}$/.test(secret)) return { ok: false, reason: "malformed" };
  const row = store.tokenRowByHash(db, hashToken(secret));
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revokedAt !== null) return { ok: false, reason: "revoked" };
  if (row.expiresAt <= now) return { ok: false, reason: "expired" };
  const role = activeRole(db, row.personId);
  if (!role) return { ok: false, reason: "inactive" };
  store.touchTokenRow(db, row.id, now);
  return { ok: true, holder: { token: toToken(row), role } };
}

/** Whether the holder may use a scope: the token has it and the owner's role (now) allows it. */
export function holderMay(holder: TokenHolder, scope: Scope): boolean {
  return holder.token.scopes.includes(scope) && scopesFor(holder.role).includes(scope);
}

function activeRole(db: Queryable, personId: string): Role | null {
  if (getAccount(db, personId)?.status !== "active") return null;
  return readingOf(db, personId)?.role ?? null;
}

function toToken(row: store.TokenRow): ApiToken {
  return {
    id: row.id,
    personId: row.personId,
    name: row.name,
    prefix: row.prefix,
    scopes: (JSON.parse(row.scopes) as string[]).filter(isScope),
    ratePerMinute: row.ratePerMinute,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
  };
}
