// One-time links: invitations (72 h) and password resets (24 h from an admin, 1 h when asked for on the sign-in page).
//
// Invariants: the token is 256 random bits and exists only in the link; the database keeps its SHA-256. A link is used
// at most once (the use is a conditional update), a newer link of the same purpose voids older ones, and a link of a
// deactivated person is dead. A reset link sets a new password and ends every session, but signs nobody in: the
// person signs in with the new password and their second factor, so a reset never bypasses two-factor.
import { hashToken, isTokenShaped, newToken } from "../crypto/token.ts";
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson, type Person } from "../people/people.ts";
import { createSession, invalidatePersonSessions, type Session } from "../sessions/sessions.ts";
import { getSettings } from "../settings/settings.ts";
import * as store from "./accounts.store.ts";
import { hashPassword, type PasswordProblem, passwordProblem } from "./passwords.ts";
import { requiresTwoFactor } from "./policy.ts";
import type { AccountDeps } from "./sign-in.ts";

export type LinkPurpose = "invite" | "reset";
export const LINK_LIFETIME_MS: Record<LinkPurpose, number> = { invite: 72 * 3600_000, reset: 24 * 3600_000 };

/** A link that lives shorter than its purpose's default: a reset asked for by anyone who knows the address. */
export function createOneTimeLink(tx: Queryable, personId: string, purpose: LinkPurpose, createdBy: string, now = Date.now(), lifetimeMs = LINK_LIFETIME_MS[purpose]): string {
  const token = newToken();
  store.expireOpenLinks(tx, personId, purpose, now);
  store.insertLink(tx, { tokenHash: Buffer.from(hashToken(token)), personId, purpose, createdBy, createdAt: now, expiresAt: now + lifetimeMs, usedAt: null });
  return token;
}

export function linkUrl(publicUrl: URL, token: string): string {
  return new URL(`/link/${token}`, publicUrl).toString();
}

export interface OpenLink {
  purpose: LinkPurpose;
  person: Person;
}

/** The link's purpose and person while it is valid; null when unknown, used, expired or its person deactivated. */
export function inspectOneTimeLink(deps: AccountDeps, token: string, now = deps.clock.now()): OpenLink | null {
  if (!isTokenShaped(token)) return null;
  const link = store.getLink(deps.db, hashToken(token));
  if (!link || link.usedAt !== null || now >= link.expiresAt) return null;
  const account = store.getAccount(deps.db, link.personId);
  const person = getPerson(deps, link.personId);
  if (!account || account.status === "deactivated" || !person) return null;
  return { purpose: link.purpose, person };
}

export type CompleteLinkResult =
  | { kind: "invalid-link" }
  | { kind: "weak-password"; problem: PasswordProblem }
  | { kind: "invited"; token: string; session: Session }
  | { kind: "reset" };

export async function completeOneTimeLink(deps: AccountDeps, token: string, password: string, device: string): Promise<CompleteLinkResult> {
  const open = inspectOneTimeLink(deps, token);
  if (!open) return { kind: "invalid-link" };
  const problem = await passwordProblem(password);
  if (problem) return { kind: "weak-password", problem };
  const hash = await hashPassword(password);
  const { db, vault } = deps;
  const personId = open.person.id;
  return db.transaction(
    (tx) => {
      if (!store.markLinkUsed(tx, hashToken(token), deps.clock.now())) return { kind: "invalid-link" as const };
      store.updateAccount(tx, personId, { passwordHash: hash, status: "active", passwordChangedAt: deps.clock.now() });
      invalidatePersonSessions(tx, personId);
      if (open.purpose === "reset") {
        recordAudit(tx, vault, { at: deps.clock.now(), actor: personId, action: "password.reset", target: personId });
        return { kind: "reset" as const };
      }
      recordAudit(tx, vault, { at: deps.clock.now(), actor: personId, action: "invitation.accept", target: personId });
      const account = store.getAccount(tx, personId)!;
      const stage = account.totpSecret ? "second-factor" : requiresTwoFactor(open.person.role, getSettings(tx)) ? "enrol" : "full";
      const { token: sessionToken, session } = createSession(tx, { personId, stage, device }, deps.clock.now());
      return { kind: "invited" as const, token: sessionToken, session };
    },
    { behavior: "immediate" },
  );
}

