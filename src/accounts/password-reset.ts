// Self-service password reset: "Forgot your password?" on the sign-in page mails a one-time link.
//
// Protects: accounts against takeover through the reset, and the list of who has an account here.
// Invariants:
//   - The answer is the same for every well-formed address ("if an account exists, we sent a link"), known or not,
//     active or not, and the throttle counts by the address's blind index either way, so neither the page, its status
//     nor a 429 tells whether an account exists. Only an active account gets a mail.
//   - The link is links.ts's: 256 random bits, only its hash stored, one use, a newer link voids older ones. It lives
//     one hour (an admin's reset link: 24 h). Its token travels only in the mail and the link's URL, which the request
//     log never writes (route patterns only); the audit names the person, never the token.
//   - Setting the new password ends every session of the person and signs nobody in. The second factor is asked
//     right after: the person signs in with the new password and then their authenticator, emailed code or recovery
//     code (sign-in.ts), so a reset never bypasses two-factor. Someone who reads the mailbox can change the password
//     of an account with an authenticator, but cannot get in with it. (A client whose second factor is codes by email
//     trusts that mailbox for both: their choice when they chose it.)
//   - Throttled per address asked about (3 an hour) and per client address (10 an hour); every request counts,
//     so the form can neither flood a mailbox nor be used to test many addresses. Every request is audited.
// Without a mail server there is no reset by mail: the sign-in page says to ask the organisation.
// Known limit: for an active account the request also writes a link and queues a mail; no password is hashed on
// either path, so the difference in time is a few database writes, not equalised.
import { recordAudit } from "../audit/audit.ts";
import { normalizeEmail } from "../crypto/blind-index.ts";
import { findPersonByEmail } from "../people/people.ts";
import * as store from "./accounts.store.ts";
import { queueLinkMail } from "./account-mail.ts";
import { mailConfigured } from "./email-codes.ts";
import { createOneTimeLink } from "./links.ts";
import type { AccountDeps } from "./sign-in.ts";
import { accountThrottleId, recordFailure, retryAfter, type ThrottleKey } from "./throttle.ts";

export const SELF_RESET_LIFETIME_MS = 60 * 60_000;

export type ResetRequestResult = { kind: "closed" } | { kind: "throttled"; retryAfterMs: number } | { kind: "answered" };

export function requestPasswordReset(deps: AccountDeps, input: { email: string; ip: string }): ResetRequestResult {
  if (!mailConfigured(deps)) return { kind: "closed" };
  const { db, vault, config } = deps;
  const now = deps.clock.now();
  const email = normalizeEmail(input.email);
  const keys: ThrottleKey[] = [
    { kind: "resetRequest", id: accountThrottleId(vault, email) },
    { kind: "resetFromAddress", id: input.ip },
  ];
  const wait = retryAfter(db, keys, now);
  if (wait > 0) return { kind: "throttled", retryAfterMs: wait };
  db.transaction(
    (tx) => {
      recordFailure(tx, keys, now);
      const person = findPersonByEmail({ db: tx, vault }, email);
      const active = person !== null && store.getAccount(tx, person.id)?.status === "active";
      if (person && active) {
        const token = createOneTimeLink(tx, person.id, "reset", person.id, now, SELF_RESET_LIFETIME_MS);
        queueLinkMail(tx, vault, config.publicUrl, person.id, "reset", token, now + SELF_RESET_LIFETIME_MS, now);
      }
      recordAudit(tx, vault, { actor: "anonymous", action: "password.reset-request", target: person?.id ?? null, details: { mailed: active } });
    },
    { behavior: "immediate" },
  );
  return { kind: "answered" };
}
