// People: everyone the organisation knows. Each person is a data subject with their own data key; email, name and
// phone are sealed under it, bound to their row and column. Email lookups go through the keyed blind index.
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import { normalizeEmail } from "../crypto/blind-index.ts";
import { recordAudit } from "../audit/audit.ts";
import type { HourCycle } from "../i18n/format.ts";
import type { Locale } from "../i18n/messages.ts";
import { getSettings } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import { emitEvent } from "../webhooks/emit.ts";
import * as store from "./people.store.ts";

import type { Role } from "../roles.ts";
export type { Role };

export interface Person {
  id: string;
  role: Role;
  email: string;
  name: string;
  phone: string | null;
  /** Where and in which language they read times and mails; null: the organisation's. */
  timeZone: string | null;
  locale: Locale | null;
  createdAt: Date;
  /** Erased (privacy/erasure.ts): their key is destroyed; email, name and phone are empty. */
  erased?: true;
}

export interface PeopleDeps {
  /** The database, or the caller's transaction when a person is created as part of a larger change. */
  db: Queryable;
  vault: Vault;
  /** The installation's clock, for the creation time (the system clock when not given). */
  clock?: Clock;
}

export interface NewPerson {
  role: Role;
  email: string;
  name: string;
  phone?: string | null;
}

/** Null when someone with this email already exists. */
export function createPerson(deps: PeopleDeps, input: NewPerson, actor: string): Person | null {
  const { db, vault } = deps;
  const id = crypto.randomUUID();
  const email = normalizeEmail(input.email);
  const emailIndex = vault.blindIndex("people.email", email);
  return db.transaction(
    (tx) => {
      if (store.findPersonRowByEmailIndex(tx, emailIndex)) return null;
      vault.createSubjectKey(tx, id);
      const seal = (column: string, value: string) => Buffer.from(vault.sealField(id, "people", column, id, value));
      const createdAt = deps.clock?.now() ?? Date.now();
      store.insertPersonRow(tx, {
        id,
        role: input.role,
        emailIndex: Buffer.from(emailIndex),
        email: seal("email", email),
        name: seal("name", input.name),
        phone: input.phone ? seal("phone", input.phone) : null,
        createdAt,
      });
      recordAudit(tx, vault, { actor, action: "person.create", target: id, details: { role: input.role } });
      if (input.role === "client") {
        emitEvent(tx, vault, { type: "client.created", subject: id, data: { clientId: id, createdAt: new Date(createdAt).toISOString() }, at: createdAt, personal: () => ({ name: input.name, email }) });
      }
      return { id, role: input.role, email, name: input.name, phone: input.phone ?? null, timeZone: null, locale: null, createdAt: new Date(createdAt) };
    },
    { behavior: "immediate" },
  );
}

export function getPerson(deps: PeopleDeps, id: string): Person | null {
  const row = store.getPersonRow(deps.db, id);
  return row ? openPerson(deps.vault, row) : null;
}

export function findPersonByEmail(deps: PeopleDeps, email: string): Person | null {
  const row = store.findPersonRowByEmailIndex(deps.db, deps.vault.blindIndex("people.email", normalizeEmail(email)));
  return row ? openPerson(deps.vault, row) : null;
}

/** Everyone, oldest first. */
export function listPeople(deps: PeopleDeps): Person[] {
  return store.listPersonRows(deps.db).map((row) => openPerson(deps.vault, row));
}

/** Remembers the zone and language a person last used (booking pages, sign-in) for their mails. */
export function setPersonPreferences(db: Queryable, id: string, prefs: { timeZone?: string; locale?: Locale }): void {
  store.updatePersonRow(db, id, prefs);
}

/** The clock a person reads times on, on every page and in every mail; null returns them to their language's. */
export function setPersonHourCycle(db: Queryable, id: string, hourCycle: HourCycle | null): void {
  store.updatePersonRow(db, id, { hourCycle });
}

/** How a person reads times and mails. */
export interface Reading {
  role: Role;
  locale: Locale;
  /** Their clock, 12 or 24 hours; null: their language's custom. */
  hourCycle: HourCycle | null;
  timeZone: string;
  /** The zone is the person's own choice (not the zone they work in, nor the organisation's). */
  zoneChosen: boolean;
}

/**
 * The one answer to "in which language and zone does this person read": their own choice; else, for someone with
 * working hours (a specialist), the zone they work in; else the organisation's. Reads no sealed column.
 */
export function readingOf(db: Queryable, id: string): Reading | null {
  const row = store.getReadingRow(db, id);
  if (!row) return null;
  const org = getSettings(db);
  return {
    role: row.role,
    locale: row.locale ?? org?.language ?? "en",
    hourCycle: row.hourCycle,
    timeZone: row.timeZone ?? row.workingZone ?? org?.timeZone ?? "UTC",
    zoneChosen: row.timeZone !== null,
  };
}

/** The zone a person reads times in (see readingOf); the organisation's for an unknown id. */
export function personZone(db: Queryable, id: string): string {
  return readingOf(db, id)?.timeZone ?? getSettings(db)?.timeZone ?? "UTC";
}

/** Who a mail goes to: their address and name (opened), and how they read. Null once the person is gone. */
export function mailRecipientOf(deps: PeopleDeps, id: string): (Reading & { email: string; name: string }) | null {
  const reading = readingOf(deps.db, id);
  const person = reading && getPerson(deps, id);
  return person && !person.erased ? { ...reading, email: person.email, name: person.name } : null;
}

/** The person's name alone (one decryption), for lists that need no more. */
export function personName(deps: PeopleDeps, id: string): string | null {
  const row = store.getPersonRow(deps.db, id);
  if (!row) return null;
  return deps.vault.isShredded(row.id) ? "" : deps.vault.openField(row.id, "people", "name", row.id, row.name);
}

function openPerson(vault: Vault, row: store.PersonRow): Person {
  if (vault.isShredded(row.id)) {
    return { id: row.id, role: row.role, email: "", name: "", phone: null, timeZone: row.timeZone, locale: row.locale, createdAt: new Date(row.createdAt), erased: true };
  }
  const open = (column: string, sealed: Uint8Array) => vault.openField(row.id, "people", column, row.id, sealed);
  return {
    id: row.id,
    role: row.role,
    email: open("email", row.email),
    name: open("name", row.name),
    phone: row.phone ? open("phone", row.phone) : null,
    timeZone: row.timeZone,
    locale: row.locale,
    createdAt: new Date(row.createdAt),
  };
}

