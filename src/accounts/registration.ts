// Self-registration of clients, proven by a code mailed to the address.
//
// Protects: the list of who has an account here, and every mailbox from being signed up by someone else.
// Invariants:
//   - The answer to the form is the same code page whether or not the address has an account, so the form tells no
//     one who is a client here; the mailbox's owner learns the rest. A new address becomes an invited client without
//     a password and gets a code; an invited client (who never finished) gets a fresh code; an active account gets a
//     note that someone tried, with the sign-in address (at most one an hour); anyone else (deactivated, staff) nothing.
//   - The code is email-codes.ts's, bound to the purpose "register": 6 digits, a keyed hash, one use, 10 minutes, one
//     outstanding per person, at most one a minute and five an hour. Wrong codes count per address typed (its blind
//     index, so unknown addresses are throttled exactly like known ones: 5 per 15 minutes) and per client address.
//     Every registration attempt counts against the client address (LIMITS.register), so the form cannot test many
//     addresses or flood one mailbox.
//   - The right code proves the mailbox. Only then is consent recorded in the ledger (purpose "processing", method
//     "registration", the version the person was shown), and the
//     browser gets a one-time link (links.ts: 30 minutes, hash only, one use) that never leaves it: the password is
//     chosen there, as with an invitation, and the organisation's two-factor policy applies from that step on.
// Known limit: someone who keeps registering a stranger's address replaces the code sent there (at most five times an
// hour); the owner then uses the newest code.
import { recordAudit } from "../audit/audit.ts";
import { consentPolicy } from "../consent/consent.ts";
import { giveConsent } from "../consent/ledger.ts";
import { normalizeEmail } from "../crypto/blind-index.ts";
import { createPerson, findPersonByEmail } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import * as store from "./accounts.store.ts";
import { queueRegisterAttemptMail } from "./account-mail.ts";
import { mailConfigured, sendEmailCode, useEmailCode } from "./email-codes.ts";
import { createOneTimeLink } from "./links.ts";
import type { AccountDeps } from "./sign-in.ts";
import { accountThrottleId, recordFailure, retryAfter, type ThrottleKey } from "./throttle.ts";

const PROVEN_LINK_MS = 30 * 60_000;

/** Registration needs the setting and a mail server: without mail no address can be proven. */
export function registrationOpen(deps: AccountDeps): boolean {
  return getSettings(deps.db)?.selfRegistration === true && mailConfigured(deps);
}

export type RegisterResult = { kind: "closed" } | { kind: "throttled"; retryAfterMs: number } | { kind: "code-sent" };

export function registerClient(deps: AccountDeps, input: { name: string; email: string; ip: string }): RegisterResult {
  if (!registrationOpen(deps)) return { kind: "closed" };
  const now = deps.clock.now();
  const key: ThrottleKey = { kind: "register", id: input.ip };
  const wait = retryAfter(deps.db, [key], now);
  if (wait > 0) return { kind: "throttled", retryAfterMs: wait };
  const { vault, config } = deps;
  deps.db.transaction(
    (tx) => {
      recordFailure(tx, [key], now);
      const person = createPerson({ db: tx, vault, clock: deps.clock }, { role: "client", email: input.email, name: input.name }, "self-registration");
      if (person) {
        store.insertAccount(tx, { personId: person.id, status: "invited", createdAt: now });
        sendEmailCode(deps, tx, person.id, "register", now);
        recordAudit(tx, vault, { actor: person.id, action: "client.register", target: person.id });
        return;
      }
      const existing = findPersonByEmail({ db: tx, vault }, input.email);
      const status = existing ? store.getAccount(tx, existing.id)?.status : undefined;
      if (!existing || !status || status === "deactivated") return; // nothing to tell that mailbox
      // A code sent less than a minute ago stays the one to use (sendEmailCode refuses a newer one).
      if (status === "invited" && existing.role === "client") sendEmailCode(deps, tx, existing.id, "register", now);
      else if (status === "active") queueRegisterAttemptMail(tx, vault, config.publicUrl, existing.id, now);
      recordAudit(tx, vault, { actor: "anonymous", action: "client.register-existing", target: existing.id });
    },
    { behavior: "immediate" },
  );
  return { kind: "code-sent" };
}

export type VerifyResult =
  | { kind: "closed" }
  | { kind: "throttled"; retryAfterMs: number }
  | { kind: "invalid" }
  | { kind: "consent-needed" }
  | { kind: "verified"; linkToken: string };

/**
 * The code from the mail, for the address typed. The answer to a wrong code is the same whether or not the address
 * has an account or a code outstanding. `consentVersion`: the consent text the person was shown and accepted, if any.
 */
export function verifyRegistrationCode(deps: AccountDeps, input: { email: string; code: string; ip: string; consentVersion: number | null }): VerifyResult {
  if (!registrationOpen(deps)) return { kind: "closed" };
  const { db, vault } = deps;
  const now = deps.clock.now();
  const email = normalizeEmail(input.email);
  const keys: ThrottleKey[] = [
    { kind: "registerCode", id: accountThrottleId(vault, email) },
    { kind: "ip", id: input.ip },
  ];
  const wait = retryAfter(db, keys, now);
  if (wait > 0) return { kind: "throttled", retryAfterMs: wait };
  // The organisation may have started asking for consent after the form was shown: ask before spending the code.
  // Consent counts only to the text in force: an older version sent back (a stale form, a forged field) is asked again.
  const policy = consentPolicy(db);
  const current = policy.current?.version ?? null;
  const given = input.consentVersion;
  const version = given !== null && given === current ? given : null;
  if (version === null && policy.required) return { kind: "consent-needed" };
  return db.transaction(
    (tx) => {
      const person = findPersonByEmail({ db: tx, vault }, email);
      const invitedClient = person?.role === "client" && store.getAccount(tx, person.id)?.status === "invited";
      if (!person || !invitedClient || !useEmailCode(deps, tx, person.id, "register", input.code, now)) {
        recordFailure(tx, keys, now);
        recordAudit(tx, vault, { actor: "anonymous", action: "client.register-code-failure", target: person?.id ?? null });
        return { kind: "invalid" as const };
      }
      // Into the ledger as "processing" given at registration, to the version the person was shown.
      if (version !== null) giveConsent(tx, vault, { personId: person.id, purpose: "processing", method: "registration", recordedBy: person.id, version }, now);
      const linkToken = createOneTimeLink(tx, person.id, "invite", person.id, now, PROVEN_LINK_MS);
      recordAudit(tx, vault, { actor: person.id, action: "client.register-verified", target: person.id });
      return { kind: "verified" as const, linkToken };
    },
    { behavior: "immediate" },
  );
}
