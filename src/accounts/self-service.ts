// What a person does to their own account: change the password, end their sessions. (Registering: registration.ts.)
import { recordAudit } from "../audit/audit.ts";
import { invalidatePersonSessions, type Session } from "../sessions/sessions.ts";
import * as store from "./accounts.store.ts";
import { hashPassword, type PasswordProblem, passwordProblem } from "./passwords.ts";
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
