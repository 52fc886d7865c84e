// First run. Until an admin exists, every page leads to /setup, which only someone holding the one-time setup code
// (printed to the server's log at start, so only whoever runs the server sees it) can complete: a stranger on the
// network who reaches the fresh appliance first cannot claim it. The code is compared in constant time, attempts
// are throttled per address, and it dies with the first admin.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { recordAudit } from "../audit/audit.ts";
import type { Logger } from "../log.ts";
import { createPerson } from "../people/people.ts";
import { createSession, type Session } from "../sessions/sessions.ts";
import { DEFAULT_REMINDER_HOURS, getSettings, type OrgSettings, saveSettings } from "../settings/settings.ts";
import * as store from "./accounts.store.ts";
import { hashPassword } from "./passwords.ts";
import type { AccountDeps } from "./sign-in.ts";
import type { Queryable } from "../db/client.ts";

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

export function isSetUp(db: Queryable): boolean {
  return getSettings(db) !== null && store.countAdmins(db) > 0;
}

export class SetupGate {
  private code: string | null = null;
  private done: boolean;

  constructor(
    private readonly db: Queryable,
    log: Logger,
  ) {
    this.done = isSetUp(db);
    if (!this.done) {
      const chars = [...randomBytes(8)].map((b) => ALPHABET[b % 32]).join("");
      this.code = `${chars.slice(0, 4)}-${chars.slice(4)}`;
      log.warn(`FIRST RUN: open the site and enter the setup code ${this.code} to create the organisation and its first admin`, {
        setupCode: this.code,
      });
    }
  }

  /** True once an admin exists (also when one was created from the command line meanwhile). */
  get isOpen(): boolean {
    if (!this.done && isSetUp(this.db)) {
      this.done = true;
      this.code = null;
    }
    return !this.done;
  }

  matches(candidate: string): boolean {
    if (!this.code) return false;
    const a = Buffer.from(candidate.trim().toUpperCase().replace(/[^A-Z0-9]/g, ""));
    const b = Buffer.from(this.code.replace("-", ""));
    return a.length === b.length && timingSafeEqual(a, b);
  }

  close(): void {
    this.done = true;
    this.code = null;
  }
}

export interface SetupInput {
  settings: OrgSettings;
  admin: { name: string; email: string; password: string };
  device: string;
}

/** Creates the organisation and its first admin; returns the admin's session, which must enrol two-factor next. */
export async function completeSetup(deps: AccountDeps, input: SetupInput): Promise<{ token: string; session: Session } | null> {
  const hash = await hashPassword(input.admin.password);
  const { db, vault } = deps;
  return db.transaction(
    (tx) => {
      if (isSetUp(tx)) return null;
      saveSettings(tx, input.settings);
      const person = createPerson({ db: tx, vault }, { role: "admin", email: input.admin.email, name: input.admin.name }, "setup");
      if (!person) return null;
      store.insertAccount(tx, { personId: person.id, passwordHash: hash, status: "active", createdAt: deps.clock.now(), passwordChangedAt: deps.clock.now() });
      recordAudit(tx, vault, { actor: person.id, action: "setup.complete", target: person.id });
      return createSession(tx, { personId: person.id, stage: "enrol", device: input.device }, deps.clock.now());
    },
    { behavior: "immediate" },
  );
}

/** Settings used when the first admin is created from the command line; the admin changes them in the browser. */
export function ensureDefaultSettings(tx: Queryable): void {
  if (!getSettings(tx)) saveSettings(tx, { name: "Kabinet", language: "en", timeZone: "UTC", clientTwoFactor: "optional", selfRegistration: false, reminderHours: DEFAULT_REMINDER_HOURS, mailDetails: "minimal", address: "" });
}
