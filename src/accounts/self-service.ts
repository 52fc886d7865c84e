// What a person does to their own account: change the password, register as a client (when allowed).
import { recordAudit } from "../audit/audit.ts";
import { createPerson } from "../people/people.ts";
import { createSession, invalidatePersonSessions, type Session } from "../sessions/sessions.ts";
import { getSettings } from "../settings/settings.ts";
import * as store from "./accounts.store.ts";
import { hashPassword, type PasswordProblem, passwordProblem } from "./passwords.ts";
import { requiresTwoFactor } from "./policy.ts";
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
      store.updateAccount(tx, session.personId, { passwordHash: hash, passwordChangedAt: Date.now() });
      const ended = invalidatePersonSessions(tx, session.personId, { except: session.handle });
      recordAudit(tx, deps.vault, { actor: session.personId, action: "password.change", target: session.personId, details: { sessionsEnded: ended } });
    },
    { behavior: "immediate" },
  );
  return { kind: "changed" };
}

export type RegisterResult =
  | { kind: "closed" }
  | { kind: "throttled"; retryAfterMs: number }
  | { kind: "weak"; problem: PasswordProblem }
  | { kind: "email-taken" }
  | { kind: "registered"; token: string; session: Session };

export async function registerClient(
  deps: AccountDeps,
  input: { name: string; email: string; password: string; device: string; ip: string },
): Promise<RegisterResult> {
  const settings = getSettings(deps.db);
  if (!settings?.selfRegistration) return { kind: "closed" };
  const key = { kind: "register" as const, id: input.ip };
  const wait = retryAfter(deps.db, [key]);
  if (wait > 0) return { kind: "throttled", retryAfterMs: wait };
  deps.db.transaction((tx) => recordFailure(tx, [key]), { behavior: "immediate" });
  const problem = await passwordProblem(input.password);
  if (problem) return { kind: "weak", problem };
  const hash = await hashPassword(input.password);
  return deps.db.transaction(
    (tx) => {
      const person = createPerson({ db: tx, vault: deps.vault }, { role: "client", email: input.email, name: input.name }, "self-registration");
      if (!person) return { kind: "email-taken" as const };
      store.insertAccount(tx, { personId: person.id, passwordHash: hash, status: "active", createdAt: Date.now(), passwordChangedAt: Date.now() });
      recordAudit(tx, deps.vault, { actor: person.id, action: "client.register", target: person.id });
      const stage = requiresTwoFactor("client", settings) ? "enrol" : "full";
      return { kind: "registered" as const, ...createSession(tx, { personId: person.id, stage, device: input.device }) };
    },
    { behavior: "immediate" },
  );
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
