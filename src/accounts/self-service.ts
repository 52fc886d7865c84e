// What a person does to their own account: change the password, register as a client (when allowed).
import { recordAudit } from "../audit/audit.ts";
import { createPerson, findPersonByEmail } from "../people/people.ts";
import { invalidatePersonSessions, type Session } from "../sessions/sessions.ts";
import { getSettings } from "../settings/settings.ts";
import * as store from "./accounts.store.ts";
import { queueLinkMail, queueRegisterAttemptMail } from "./account-mail.ts";
import { createOneTimeLink, LINK_LIFETIME_MS } from "./links.ts";
import { hashPassword, type PasswordProblem, passwordProblem } from "./passwords.ts";
import { mailConfigured } from "./email-codes.ts";
import { recordFailure, retryAfter } from "./throttle.ts";
import type { AccountDeps } from "./sign-in.ts";
import { reauthenticate } from "./two-factor.ts";

export type ChangePasswordResult = { kind: "wrong-password" } | { kind: "weak"; problem: PasswordProblem } | { kind: "changed" };

/** Needs the current password; ends every other session of the person (someone else may know the old one). */
export async function changePassword(deps: AccountDeps, session: Session, current: string, next: string): Promise<ChangePasswordResult> {
  const problem = await passwordProblem(next);
  if (problem) return { kind: "weak", problem };
  if (!(await reauthenticate(deps, session.personId, current))) return { kind: "wrong-password" };
  const hash = await hashPassword(next);
  deps.db.transaction(
    (tx) => {
      store.updateAccount(tx, session.personId, { passwordHash: hash, passwordChangedAt: deps.clock.now() });
      const ended = invalidatePersonSessions(tx, session.personId, { except: session.handle });
      recordAudit(tx, deps.vault, { actor: session.personId, action: "password.change", target: session.personId, details: { sessionsEnded: ended } });
    },
    { behavior: "immediate" },
  );
  return { kind: "changed" };
}

export type RegisterResult = { kind: "closed" } | { kind: "throttled"; retryAfterMs: number } | { kind: "mailed" };

/**
 * Self-registration. The answer is the same whether or not the email has an account ("check your mail"), so the form
 * tells no one who is a client here; the mailbox's owner learns the rest. A new address gets an invitation link (the
 * password is chosen there, which also proves the mailbox); an address with an account gets a note that someone tried,
 * with the sign-in address (at most one an hour); a client who registered but never opened the link gets a fresh one.
 * Every attempt counts against the address (LIMITS.register).
 */
export function registerClient(deps: AccountDeps, input: { name: string; email: string; ip: string }): RegisterResult {
  const settings = getSettings(deps.db);
  // Registration goes through a mailed link: without mail there is no way to finish it.
  if (!settings?.selfRegistration || !mailConfigured(deps)) return { kind: "closed" };
  const now = deps.clock.now();
  const key = { kind: "register" as const, id: input.ip };
  const wait = retryAfter(deps.db, [key], now);
  if (wait > 0) return { kind: "throttled", retryAfterMs: wait };
  const { vault, config } = deps;
  deps.db.transaction(
    (tx) => {
      recordFailure(tx, [key], now);
      const person = createPerson({ db: tx, vault }, { role: "client", email: input.email, name: input.name }, "self-registration");
      if (person) {
        store.insertAccount(tx, { personId: person.id, status: "invited", createdAt: now });
        recordFailure(tx, [{ kind: "reissue", id: person.id }], now); // the next link for this address in an hour at the earliest
        const token = createOneTimeLink(tx, person.id, "invite", person.id, now);
        queueLinkMail(tx, vault, config.publicUrl, person.id, "invite", token, now + LINK_LIFETIME_MS.invite, now);
        recordAudit(tx, vault, { actor: person.id, action: "client.register", target: person.id });
        return;
      }
      const existing = findPersonByEmail({ db: tx, vault }, input.email);
      const status = existing ? store.getAccount(tx, existing.id)?.status : undefined;
      if (!existing || !status || status === "deactivated") return; // nothing to tell that mailbox
      if (status === "invited" && existing.role === "client") {
        const reissue = { kind: "reissue" as const, id: existing.id };
        if (retryAfter(tx, [reissue], now) > 0) return; // the link sent within the hour stays valid
        recordFailure(tx, [reissue], now);
        const token = createOneTimeLink(tx, existing.id, "invite", existing.id, now);
        queueLinkMail(tx, vault, config.publicUrl, existing.id, "invite", token, now + LINK_LIFETIME_MS.invite, now);
      } else if (status === "active") {
        queueRegisterAttemptMail(tx, vault, config.publicUrl, existing.id, now);
      }
      recordAudit(tx, vault, { actor: "anonymous", action: "client.register-existing", target: existing.id });
    },
    { behavior: "immediate" },
  );
  return { kind: "mailed" };
}

export function endAllSessions(deps: AccountDeps, personId: string): number {
  return deps.db.transaction(
    (tx) => {
      const n = invalidatePersonSessions(tx, personId);
      recordAudit(tx, deps.vault, { actor: personId, action: "session.revoke-all", target: personId, details: { sessions: n } });
      return n;
    },
    { behavior: "immediate" },
  );
}
