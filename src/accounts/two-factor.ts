// Two-factor: TOTP enrolment, verification, recovery codes, reset.
//
// Invariants: the TOTP secret is sealed under the person's key (bound to its column, so the pending secret cannot be
// swapped in unverified); a code is accepted once (the accepted time step is stored and must increase); recovery codes
// are 10 random 50-bit codes shown once and stored as keyed hashes, each usable once. Resetting two-factor or
// regenerating codes needs the password again, and every change is audited.
import { randomBytes } from "node:crypto";
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson } from "../people/people.ts";
import { createSession, invalidatePersonSessions, type Session } from "../sessions/sessions.ts";
import { getSettings } from "../settings/settings.ts";
import * as store from "./accounts.store.ts";
import { useEmailCode } from "./email-codes.ts";
import { verifyPassword } from "./passwords.ts";
import { recordFailure, retryAfter, secondFactorKey, type ThrottleKey } from "./throttle.ts";
import { requiresTwoFactor } from "./policy.ts";
import type { AccountDeps } from "./sign-in.ts";
import { generateTOTPSecret, totpURI, verifyTOTP } from "./totp.ts";

const RECOVERY_CODE_COUNT = 10;
const BASE32 = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I: codes are read off paper

export interface Enrolment {
  secret: string;
  uri: string;
}

/** The secret being enrolled (the same one until confirmed, so a reload does not invalidate a scanned QR code). */
export function startTOTPEnrolment(deps: AccountDeps, personId: string): Enrolment {
  const { db, vault } = deps;
  const person = getPerson(deps, personId)!;
  const account = store.getAccount(db, personId)!;
  let secret = account.totpPending ? vault.openField(personId, "accounts", "totp_pending", personId, account.totpPending) : null;
  if (!secret) {
    secret = generateTOTPSecret();
    store.updateAccount(db, personId, { totpPending: Buffer.from(vault.sealField(personId, "accounts", "totp_pending", personId, secret)) });
  }
  return { secret, uri: totpURI(secret, getSettings(db)?.name ?? "Kabinet", person.email) };
}

export type ConfirmResult = { ok: false } | { ok: true; recoveryCodes: string[]; renewed: { token: string; session: Session } | null };

/** Turns the pending secret on when the code fits. A session waiting at "enrol" is replaced by a full one. */
export function confirmTOTPEnrolment(deps: AccountDeps, session: Session, code: string): ConfirmResult {
  const { db, vault } = deps;
  const personId = session.personId;
  return db.transaction(
    (tx) => {
      const account = store.getAccount(tx, personId);
      if (!account?.totpPending) return { ok: false as const };
      const secret = vault.openField(personId, "accounts", "totp_pending", personId, account.totpPending);
      const step = verifyTOTP(secret, code, null);
      if (step === null) return { ok: false as const };
      store.updateAccount(tx, personId, {
        totpSecret: Buffer.from(vault.sealField(personId, "accounts", "totp_secret", personId, secret)),
        totpPending: null,
        totpLastStep: step,
      });
      const recoveryCodes = issueRecoveryCodes(deps, tx, personId);
      recordAudit(tx, vault, { actor: personId, action: "two-factor.enable", target: personId });
      let renewed = null;
      if (session.stage === "enrol") {
        invalidatePersonSessions(tx, personId); // the partial session and any other: a new start
        renewed = createSession(tx, { personId, stage: "full", device: session.device }, deps.clock.now());
        recordAudit(tx, vault, { actor: personId, action: "signin.success", target: personId, details: { method: "enrolment" } });
      }
      return { ok: true as const, recoveryCodes, renewed };
    },
    { behavior: "immediate" },
  );
}

export type ResetResult =
  | { kind: "wrong-password" }
  | { kind: "done"; recoveryCodes?: string[]; renewed?: { token: string; session: Session } };

/**
 * Turns two-factor off after the password is given again. Where two-factor is mandatory, the person's sessions end
 * and a new session at stage "enrol" takes the current one's place: they must enrol a new authenticator to go on.
 */
export async function resetTwoFactor(deps: AccountDeps, session: Session, password: string): Promise<ResetResult> {
  const { db, vault } = deps;
  const personId = session.personId;
  if (!(await reauthenticate(deps, personId, password))) return { kind: "wrong-password" };
  const person = getPerson(deps, personId)!;
  const mandatory = requiresTwoFactor(person.role, getSettings(db));
  return db.transaction(
    (tx) => {
      store.updateAccount(tx, personId, { totpSecret: null, totpPending: null, totpLastStep: null, emailSecondFactor: false });
      store.deleteRecoveryCodes(tx, personId);
      recordAudit(tx, vault, { actor: personId, action: "two-factor.disable", target: personId, details: { mandatory } });
      if (!mandatory) return { kind: "done" as const };
      invalidatePersonSessions(tx, personId);
      return { kind: "done" as const, renewed: createSession(tx, { personId, stage: "enrol", device: session.device }, deps.clock.now()) };
    },
    { behavior: "immediate" },
  );
}

export async function regenerateRecoveryCodes(deps: AccountDeps, personId: string, password: string): Promise<string[] | null> {
  if (!(await reauthenticate(deps, personId, password))) return null;
  const account = store.getAccount(deps.db, personId);
  if (!account?.totpSecret && !account?.emailSecondFactor) return null;
  return deps.db.transaction(
    (tx) => {
      const codes = issueRecoveryCodes(deps, tx, personId);
      recordAudit(tx, deps.vault, { actor: personId, action: "recovery-codes.regenerate", target: personId });
      return codes;
    },
    { behavior: "immediate" },
  );
}

export function twoFactorStatus(deps: AccountDeps, personId: string): { enabled: boolean; method: "totp" | "email" | null; recoveryCodesLeft: number } {
  const account = store.getAccount(deps.db, personId);
  const method = account?.totpSecret ? "totp" : account?.emailSecondFactor ? "email" : null;
  return { enabled: method !== null, method, recoveryCodesLeft: store.countUnusedRecoveryCodes(deps.db, personId) };
}

/**
 * A client turns on codes by email as their second factor, proving the mailbox with a code sent there. A session
 * waiting at "enrol" is replaced by a full one.
 */
export function confirmEmailSecondFactor(
  deps: AccountDeps,
  session: Session,
  code: string,
): { ok: false; retryAfterMs?: number } | { ok: true; recoveryCodes: string[]; renewed: { token: string; session: Session } | null } {
  const { db, vault } = deps;
  const personId = session.personId;
  // Wrong codes count against the same limit as at sign-in.
  const keys: ThrottleKey[] = [secondFactorKey(personId)];
  const wait = retryAfter(db, keys, deps.clock.now());
  if (wait > 0) return { ok: false, retryAfterMs: wait };
  return db.transaction(
    (tx) => {
      if (getPerson({ db: tx, vault }, personId)?.role !== "client") return { ok: false as const };
      if (!useEmailCode(deps, tx, personId, "enrol", code)) {
        recordFailure(tx, keys, deps.clock.now());
        return { ok: false as const };
      }
      store.updateAccount(tx, personId, { emailSecondFactor: true, totpPending: null });
      // For a lost mailbox, or a mail server that is down: the same one-use recovery codes as with an app.
      const recoveryCodes = issueRecoveryCodes(deps, tx, personId);
      recordAudit(tx, vault, { actor: personId, action: "two-factor.enable", target: personId, details: { method: "email" } });
      let renewed = null;
      if (session.stage === "enrol") {
        invalidatePersonSessions(tx, personId);
        renewed = createSession(tx, { personId, stage: "full", device: session.device }, deps.clock.now());
        recordAudit(tx, vault, { actor: personId, action: "signin.success", target: personId, details: { method: "enrolment" } });
      }
      return { ok: true as const, recoveryCodes, renewed };
    },
    { behavior: "immediate" },
  );
}

/** True (and the step is claimed) when the code is the person's current TOTP code, not used before. */
export function verifyTOTPOf(deps: AccountDeps, tx: Queryable, personId: string, code: string): boolean {
  const account = store.getAccount(tx, personId);
  if (!account?.totpSecret) return false;
  const secret = deps.vault.openField(personId, "accounts", "totp_secret", personId, account.totpSecret);
  const step = verifyTOTP(secret, code, account.totpLastStep);
  return step !== null && store.claimTOTPStep(tx, personId, step);
}

export function useRecoveryCodeOf(deps: AccountDeps, tx: Queryable, personId: string, code: string): boolean {
  const normalized = normalizeRecoveryCode(code);
  if (normalized.length !== 10) return false;
  return store.useRecoveryCode(tx, personId, deps.vault.blindIndex("recovery_codes", normalized), deps.clock.now());
}

function issueRecoveryCodes(deps: AccountDeps, tx: Queryable, personId: string): string[] {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => BASE32[b % 32]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
  store.replaceRecoveryCodes(tx, personId, codes.map((c) => deps.vault.blindIndex("recovery_codes", normalizeRecoveryCode(c))));
  return codes;
}

function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

export async function reauthenticate(deps: AccountDeps, personId: string, password: string): Promise<boolean> {
  const account = store.getAccount(deps.db, personId);
  if (!account?.passwordHash) return false;
  const ok = await verifyPassword(password, account.passwordHash);
  if (!ok) {
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: personId, action: "reauth.failure", target: personId }), { behavior: "immediate" });
  }
  return ok;
}
