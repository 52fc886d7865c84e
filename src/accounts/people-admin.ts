// What an admin does to people: invite, change role, deactivate, reactivate, hand over a reset link.
// Invariants: there is always at least one active admin; an admin cannot deactivate or demote themself into a locked
// appliance; every change ends the person's sessions (their privileges changed) and is audited in the same transaction.
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { endCalendarFeeds } from "../booking/feeds.ts";
import { endApiTokens } from "../api/tokens.ts";
import { createPerson, getPerson, listPeople, type Person, setPersonPreferences } from "../people/people.ts";
import type { Locale } from "../i18n/messages.ts";
import { type Role, STAFF_ROLES } from "../roles.ts";
import { invalidatePersonSessions } from "../sessions/sessions.ts";
import * as store from "./accounts.store.ts";
import { queueLinkMail } from "./account-mail.ts";
import { createOneTimeLink, LINK_LIFETIME_MS } from "./links.ts";
import type { AccountDeps } from "./sign-in.ts";
import { reauthenticate } from "./two-factor.ts";

export interface PersonWithAccount extends Person {
  status: "invited" | "active" | "deactivated" | "no-account";
  twoFactor: boolean;
}

export function listPeopleWithAccounts(deps: AccountDeps): PersonWithAccount[] {
  return listPeople(deps).map((p) => withAccount(deps, p));
}

export function getPersonWithAccount(deps: AccountDeps, personId: string): PersonWithAccount | null {
  const p = getPerson(deps, personId);
  return p ? withAccount(deps, p) : null;
}

function withAccount(deps: AccountDeps, p: Person): PersonWithAccount {
  const a = store.getAccount(deps.db, p.id);
  return { ...p, status: a?.status ?? "no-account", twoFactor: Boolean(a?.totpSecret) || Boolean(a?.emailSecondFactor) };
}

export type InviteResult = { kind: "invited"; personId: string; token: string } | { kind: "email-taken" };

/** Who is added: phone, language and zone are optional (a CSV import or the API's POST /clients gives them). */
export interface Invitee {
  email: string;
  name: string;
  role: Role;
  phone?: string | null;
  /** Set before the mail is queued, so the invitation is written in the person's language and zone. */
  locale?: Locale;
  timeZone?: string;
}

/** The database, or the caller's transaction when many people are added as one change (a CSV import). */
export type InviteDeps = Omit<AccountDeps, "db"> & { db: Queryable };

export function invitePerson(deps: InviteDeps, input: Invitee, actor: string): InviteResult {
  const { db, vault } = deps;
  return db.transaction(
    (tx) => {
      const person = createPerson({ db: tx, vault, clock: deps.clock }, { role: input.role, email: input.email, name: input.name, phone: input.phone ?? null }, actor);
      if (!person) return { kind: "email-taken" as const };
      if (input.locale || input.timeZone) setPersonPreferences(tx, person.id, { ...(input.locale ? { locale: input.locale } : {}), ...(input.timeZone ? { timeZone: input.timeZone } : {}) });
      store.insertAccount(tx, { personId: person.id, status: "invited", createdAt: deps.clock.now() });
      const token = createOneTimeLink(tx, person.id, "invite", actor, deps.clock.now());
      queueLinkMail(tx, vault, deps.config.publicUrl, person.id, "invite", token, deps.clock.now() + LINK_LIFETIME_MS.invite);
      recordAudit(tx, vault, { at: deps.clock.now(), actor, action: "invitation.create", target: person.id, details: { role: input.role } });
      return { kind: "invited" as const, personId: person.id, token };
    },
    { behavior: "immediate" },
  );
}

/**
 * A person with an invited account but no link and no mail yet: a CSV import that does not invite at once. An admin
 * sends the invitation later from the person's page (reissueInvitation), which makes the link and the mail.
 */
export function addPersonUninvited(deps: InviteDeps, input: Invitee, actor: string): { kind: "added"; personId: string } | { kind: "email-taken" } {
  const { db, vault } = deps;
  return db.transaction(
    (tx) => {
      const person = createPerson({ db: tx, vault, clock: deps.clock }, { role: input.role, email: input.email, name: input.name, phone: input.phone ?? null }, actor);
      if (!person) return { kind: "email-taken" as const };
      store.insertAccount(tx, { personId: person.id, status: "invited", createdAt: deps.clock.now() });
      return { kind: "added" as const, personId: person.id };
    },
    { behavior: "immediate" },
  );
}

/** A fresh invitation link for someone who has not accepted yet (the old one stops working). */
export function reissueInvitation(deps: AccountDeps, personId: string, actor: string): string | "erased" | null {
  return deps.db.transaction(
    (tx) => {
      if (getPerson({ db: tx, vault: deps.vault }, personId)?.erased) return "erased";
      if (store.getAccount(tx, personId)?.status !== "invited") return null;
      const token = createOneTimeLink(tx, personId, "invite", actor, deps.clock.now());
      queueLinkMail(tx, deps.vault, deps.config.publicUrl, personId, "invite", token, deps.clock.now() + LINK_LIFETIME_MS.invite);
      recordAudit(tx, deps.vault, { at: deps.clock.now(), actor, action: "invitation.reissue", target: personId });
      return token;
    },
    { behavior: "immediate" },
  );
}

export type AdminChange = "ok" | "not-found" | "last-admin" | "self" | "not-active" | "erased";

/**
 * Erasure of the person: every way back into an account goes (unused invitation and reset links, email codes,
 * recovery codes, calendar feeds). Runs in the erasure's transaction, which audits it.
 */
export function endAccessOfErased(db: Queryable, personId: string, at: number): void {
  store.deleteLinks(db, personId);
  store.deleteEmailCode(db, personId);
  store.deleteRecoveryCodes(db, personId);
  endCalendarFeeds(db, personId);
  endApiTokens(db, personId, "system", at);
}

export function changeRole(deps: AccountDeps, personId: string, role: Role, actor: string): AdminChange {
  return deps.db.transaction(
    (tx) => {
      const person = getPerson({ db: tx, vault: deps.vault }, personId);
      if (!person) return "not-found";
      if (person.erased) return "erased";
      if (person.role === role) return "ok";
      if (personId === actor) return "self";
      const account = store.getAccount(tx, personId);
      if (person.role === "admin" && account?.status === "active" && store.countActiveAdmins(tx) <= 1) return "last-admin";
      store.setPersonRole(tx, personId, role);
      invalidatePersonSessions(tx, personId);
      // Codes by email are a client's second factor only: someone who now works here enrols an authenticator.
      if (STAFF_ROLES.includes(role)) {
        store.updateAccount(tx, personId, { emailSecondFactor: false });
        store.deleteEmailCode(tx, personId);
      }
      endCalendarFeeds(tx, personId); // a feed shows what the old role saw
      endApiTokens(tx, personId, actor, deps.clock.now()); // so does a token
      recordAudit(tx, deps.vault, { at: deps.clock.now(), actor, action: "person.role", target: personId, details: { from: person.role, to: role } });
      return "ok";
    },
    { behavior: "immediate" },
  );
}

export function setAccountActive(deps: AccountDeps, personId: string, active: boolean, actor: string): AdminChange {
  return deps.db.transaction(
    (tx) => {
      const person = getPerson({ db: tx, vault: deps.vault }, personId);
      const account = store.getAccount(tx, personId);
      if (!person || !account) return "not-found";
      if (personId === actor) return "self";
      if (active) {
        if (person.erased) return "erased";
        if (account.status !== "deactivated") return "ok";
        store.updateAccount(tx, personId, { status: account.passwordHash ? "active" : "invited" });
        recordAudit(tx, deps.vault, { at: deps.clock.now(), actor, action: "person.reactivate", target: personId });
        return "ok";
      }
      if (account.status === "deactivated") return "ok";
      if (person.role === "admin" && account.status === "active" && store.countActiveAdmins(tx) <= 1) return "last-admin";
      store.updateAccount(tx, personId, { status: "deactivated" });
      const ended = invalidatePersonSessions(tx, personId);
      endCalendarFeeds(tx, personId);
      endApiTokens(tx, personId, actor, deps.clock.now());
      recordAudit(tx, deps.vault, { at: deps.clock.now(), actor, action: "person.deactivate", target: personId, details: { sessionsEnded: ended } });
      return "ok";
    },
    { behavior: "immediate" },
  );
}

/**
 * For someone who lost both their authenticator and their recovery codes: the admin, after giving their own password
 * again, clears the person's two-factor; the person's sessions end and they enrol anew at their next sign-in.
 */
export async function resetTwoFactorOf(deps: AccountDeps, personId: string, adminId: string, adminPassword: string): Promise<AdminChange | "wrong-password"> {
  if (personId === adminId) return "self"; // one's own goes through the account page
  if (!(await reauthenticate(deps, adminId, adminPassword))) return "wrong-password";
  return deps.db.transaction(
    (tx) => {
      const account = store.getAccount(tx, personId);
      if (!account) return "not-found";
      store.updateAccount(tx, personId, { totpSecret: null, totpPending: null, totpLastStep: null, emailSecondFactor: false });
      store.deleteRecoveryCodes(tx, personId);
      const ended = invalidatePersonSessions(tx, personId);
      recordAudit(tx, deps.vault, { at: deps.clock.now(), actor: adminId, action: "two-factor.reset-by-admin", target: personId, details: { sessionsEnded: ended } });
      return "ok";
    },
    { behavior: "immediate" },
  );
}

export function createPasswordResetLink(deps: AccountDeps, personId: string, actor: string): string | "not-active" | "not-found" | "erased" {
  return deps.db.transaction(
    (tx) => {
      const account = store.getAccount(tx, personId);
      if (!account) return "not-found";
      if (getPerson({ db: tx, vault: deps.vault }, personId)?.erased) return "erased";
      if (account.status !== "active") return "not-active";
      const token = createOneTimeLink(tx, personId, "reset", actor, deps.clock.now());
      queueLinkMail(tx, deps.vault, deps.config.publicUrl, personId, "reset", token, deps.clock.now() + LINK_LIFETIME_MS.reset);
      recordAudit(tx, deps.vault, { at: deps.clock.now(), actor, action: "password.reset-link", target: personId });
      return token;
    },
    { behavior: "immediate" },
  );
}
