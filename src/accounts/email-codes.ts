// One-time codes by email: a client's second factor when they prefer it to an authenticator app, and the proof of the
// mailbox when a client registers (registration.ts).
//
// Invariants: one outstanding code per person (a new one replaces the old); 6 random digits, stored as a keyed hash
// bound to the person and the purpose; valid 10 minutes and once; at most one code a minute and five an hour per
// person; wrong guesses count against the same throttle as authenticator codes (5 per 15 minutes), and a code is void
// after MAX_WRONG_GUESSES wrong ones (guessing then needs a new mail, at most five an hour). Staff cannot
// use it: their second factor is always an authenticator. It needs the organisation's mail server.
import { randomInt, timingSafeEqual } from "node:crypto";
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { queueCodeMail } from "./account-mail.ts";
import * as store from "./accounts.store.ts";
import type { AccountDeps } from "./sign-in.ts";
import { recordFailure, retryAfter, type ThrottleKey } from "./throttle.ts";

export const EMAIL_CODE_MS = 10 * 60_000;
const RESEND_AFTER_MS = 60_000;
/** With 6 digits, three guesses per code and five codes an hour, a guesser wins about once in 67,000 hours. */
export const MAX_WRONG_GUESSES = 3;

export type CodePurpose = "sign-in" | "enrol" | "register";

export type SendResult = { ok: true } | { ok: false; reason: "no-mail" } | { ok: false; reason: "throttled"; retryAfterMs: number };

export function mailConfigured(deps: AccountDeps): boolean {
  return deps.config.smtp !== null;
}

/** Sends a fresh code in the caller's transaction (so it goes out exactly when the step that asks for it happens). */
export function sendEmailCode(deps: AccountDeps, tx: Queryable, personId: string, purpose: CodePurpose, now = deps.clock.now()): SendResult {
  if (!mailConfigured(deps)) return { ok: false, reason: "no-mail" };
  const key: ThrottleKey = { kind: "emailCode", id: personId };
  const previous = store.getEmailCode(tx, personId);
  const wait = Math.max(retryAfter(tx, [key], now), previous ? previous.createdAt + RESEND_AFTER_MS - now : 0);
  if (wait > 0) return { ok: false, reason: "throttled", retryAfterMs: wait };
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  store.putEmailCode(tx, { personId, codeHash: Buffer.from(codeHash(deps, personId, purpose, code)), purpose, createdAt: now, expiresAt: now + EMAIL_CODE_MS, wrongGuesses: 0 });
  recordFailure(tx, [key], now);
  queueCodeMail(tx, deps.vault, personId, purpose, code, now + EMAIL_CODE_MS, now);
  recordAudit(tx, deps.vault, { actor: personId, action: "email-code.send", target: personId, details: { purpose } });
  return { ok: true };
}

/** True, and the code is spent, when it is the person's outstanding code for this purpose and still valid. */
export function useEmailCode(deps: AccountDeps, tx: Queryable, personId: string, purpose: CodePurpose, code: string, now = deps.clock.now()): boolean {
  const digits = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(digits)) return false;
  const row = store.getEmailCode(tx, personId);
  if (!row || row.purpose !== purpose || now >= row.expiresAt || row.wrongGuesses >= MAX_WRONG_GUESSES) return false;
  const expected = codeHash(deps, personId, purpose, digits);
  if (!timingSafeEqual(Buffer.from(expected), row.codeHash)) {
    store.countWrongGuess(tx, personId);
    return false;
  }
  store.deleteEmailCode(tx, personId);
  return true;
}

function codeHash(deps: AccountDeps, personId: string, purpose: CodePurpose, code: string): Uint8Array {
  return deps.vault.blindIndex("email_codes", `${personId}:${purpose}:${code}`);
}

/** Forgets codes that can no longer be used. */
export function pruneEmailCodes(db: Queryable, now = Date.now()): number {
  return store.deleteExpiredEmailCodes(db, now);
}
