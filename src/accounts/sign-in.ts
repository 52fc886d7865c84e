// Sign-in: password, then the second factor.
//
// Protects: every account. Invariants: an unknown email, a wrong password, a deactivated account and an account
// without a password all give the same answer after the same work (one argon2id verification), so neither the answer
// nor its timing reveals who has an account. Failures are throttled (how, and why the owner is never locked out by
// someone else's failures: throttle.ts) and audited.
// A successful password only yields a session at stage "second-factor" (or "enrol" when two-factor is required but
// not set up); the full session is minted anew after the second factor, so no token survives a privilege change.
import { clientAddressTag } from "../anomalies/address-tag.ts";
import { recordAudit } from "../audit/audit.ts";
import { normalizeEmail } from "../crypto/blind-index.ts";
import type { Installation } from "../installation.ts";
import { opsCounters } from "../ops/metrics-counters.ts";
import { findPersonByEmail, getPerson } from "../people/people.ts";
import type { Role } from "../roles.ts";
import { createSession, invalidateSession, type Session } from "../sessions/sessions.ts";
import { getSettings } from "../settings/settings.ts";
import * as store from "./accounts.store.ts";
import { sendEmailCode, useEmailCode } from "./email-codes.ts";
import { verifyAgainstNothing, verifyPassword } from "./passwords.ts";
import { requiresTwoFactor } from "./policy.ts";
import { accountThrottleId, addDeviceProof, clearFailures, passwordKeys, provenDevice, recordFailure, retryAfter, secondFactorKey, type ThrottleKey } from "./throttle.ts";
import { useRecoveryCodeOf, verifyTOTPOf } from "./two-factor.ts";

export type AccountDeps = Pick<Installation, "db" | "vault" | "config" | "log" | "clock">;

export type SignInResult =
  | { kind: "signed-in"; token: string; session: Session }
  | { kind: "invalid" }
  | { kind: "throttled"; retryAfterMs: number };

/** As SignInResult; a correct password also renews this account's device proof in the browser's cookie. */
export type PasswordResult = Exclude<SignInResult, { kind: "signed-in" }> | { kind: "signed-in"; token: string; session: Session; deviceCookie: string };

export interface SignInInput {
  email: string;
  password: string;
  ip: string;
  device: string;
  /** The browser's device-proof cookie, if any (throttle.ts). */
  deviceCookie: string | undefined;
}

export async function signInWithPassword(deps: AccountDeps, input: SignInInput): Promise<PasswordResult> {
  const { db, vault } = deps;
  const now = deps.clock.now();
  const email = normalizeEmail(input.email);
  const accountKey = accountThrottleId(vault, email);
  const keys = passwordKeys(accountKey, input.ip, provenDevice(vault, accountKey, input.deviceCookie, now));
  const wait = retryAfter(db, keys, now);
  if (wait > 0) return throttled(db, wait);

  const person = findPersonByEmail(deps, email);
  const account = person ? store.getAccount(db, person.id) : null;
  const ok =
    person && account?.passwordHash && account.status === "active"
      ? await verifyPassword(input.password, account.passwordHash)
      : await verifyAgainstNothing(input.password);

  if (!ok || !person || !account) {
    db.transaction(
      (tx) => {
        recordFailure(tx, keys, now);
        recordAudit(tx, vault, { actor: "anonymous", action: "signin.failure", target: person?.id ?? null, details: { step: "password", addressTag: clientAddressTag(vault, input.ip) }, at: now });
      },
      { behavior: "immediate" },
    );
    opsCounters(db).signInFailures++;
    return { kind: "invalid" };
  }

  const emailFactor = account.emailSecondFactor && person.role === "client"; // never for staff roles
  const hasSecondFactor = account.totpSecret !== null || emailFactor;
  const stage = hasSecondFactor ? "second-factor" : requiresTwoFactor(person.role, getSettings(db)) ? "enrol" : "full";
  return db.transaction(
    (tx) => {
      clearFailures(tx, keys[0]!);
      // A client whose second factor is a code by email gets one now (throttled: a recent code is still valid).
      if (emailFactor && account.totpSecret === null) sendEmailCode(deps, tx, person.id, "sign-in");
      const { token, session } = createSession(tx, { personId: person.id, stage, device: input.device }, now);
      recordAudit(tx, vault, {
        actor: person.id,
        action: stage === "full" ? "signin.success" : "signin.password",
        target: person.id,
        details: { next: stage },
      });
      return { kind: "signed-in" as const, token, session, deviceCookie: addDeviceProof(vault, accountKey, input.deviceCookie, now) };
    },
    { behavior: "immediate" },
  );
}

/** Which second factor the person uses: an authenticator app, or codes by email. */
export function secondFactorMethod(deps: AccountDeps, personId: string): "totp" | "email" {
  const account = store.getAccount(deps.db, personId);
  return account?.totpSecret === null && account.emailSecondFactor ? "email" : "totp";
}

/** Completes sign-in with a TOTP code, an emailed code or a recovery code; mints a new, full session in place of the partial one. */
export function completeSecondFactor(deps: AccountDeps, partial: Session, code: string, ip: string, device: string): SignInResult {
  const { db, vault } = deps;
  if (partial.stage !== "second-factor") return { kind: "invalid" };
  const now = deps.clock.now();
  const keys: ThrottleKey[] = [secondFactorKey(partial.personId), { kind: "ip", id: ip }];
  const wait = retryAfter(db, keys, now);
  if (wait > 0) return throttled(db, wait);

  const result = db.transaction(
    (tx) => {
      const method = verifyTOTPOf(deps, tx, partial.personId, code)
        ? "totp"
        : useEmailCode(deps, tx, partial.personId, "sign-in", code)
          ? "email-code"
          : useRecoveryCodeOf(deps, tx, partial.personId, code)
            ? "recovery-code"
            : null;
      if (!method) {
        recordFailure(tx, keys, now);
        recordAudit(tx, vault, { actor: partial.personId, action: "signin.failure", target: partial.personId, details: { step: "second-factor", addressTag: clientAddressTag(vault, ip) }, at: now });
        return { kind: "invalid" as const };
      }
      clearFailures(tx, keys[0]!);
      invalidateSession(tx, partial.handle);
      const { token, session } = createSession(tx, { personId: partial.personId, stage: "full", device }, now);
      recordAudit(tx, vault, { actor: partial.personId, action: "signin.success", target: partial.personId, details: { method } });
      if (method === "recovery-code") recordAudit(tx, vault, { actor: partial.personId, action: "recovery-code.use", target: partial.personId });
      return { kind: "signed-in" as const, token, session };
    },
    { behavior: "immediate" },
  );
  if (result.kind === "invalid") opsCounters(db).signInFailures++;
  return result;
}

/** A refusal because of earlier failures, counted for the metrics (the attempt itself is not checked). */
function throttled(db: AccountDeps["db"], retryAfterMs: number): { kind: "throttled"; retryAfterMs: number } {
  opsCounters(db).signInThrottled++;
  return { kind: "throttled", retryAfterMs };
}

/** Whom a session acts as: the person's role and name, or null if the person or account is gone or deactivated. */
export function sessionViewer(deps: AccountDeps, session: Session): { personId: string; role: Role; name: string } | null {
  const person = getPerson(deps, session.personId);
  const account = person ? store.getAccount(deps.db, person.id) : null;
  if (!person || account?.status !== "active") return null;
  return { personId: person.id, role: person.role, name: person.name };
}
