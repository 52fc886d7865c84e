// Finding the client a booking made by staff is for.
//
// Protects: the client directory. Nobody is sent the whole list; a search returns at most CLIENT_MATCHES_MAX clients
// of the searcher's scope, and only once CLIENT_QUERY_MIN characters are typed:
//   admins and staff   the organisation's clients whose account is not deactivated (active or invited);
//   specialists        the clients they have or had appointments with (not only cancelled ones: as the care rule of
//                      src/records/care.ts), plus one client found by their exact email
//                      (someone new to them, named on the phone), never by a part of it.
// Every search is audited (who searched, how many clients it returned); the query itself never is, nor does it travel
// in a URL (the search is a POST). Names and emails are sealed at rest: a search opens those of its scope (fine at a
// practice's scale), the exact email goes through the blind index.
import { timingSafeEqual } from "node:crypto";
import { getAccount } from "../accounts/accounts.store.ts";
import { recordAudit } from "../audit/audit.ts";
import { findPersonByEmail, getPerson, listPeople, type PeopleDeps, type Person } from "../people/people.ts";
import type { Actor } from "./appointments.ts";
import * as store from "./booking.store.ts";

export const CLIENT_QUERY_MIN = 2;
export const CLIENT_MATCHES_MAX = 10;

export interface ClientMatch {
  id: string;
  name: string;
  email: string;
}

/** The clients of the searcher's scope whose name or email contains the query (case-insensitive), by name. */
export function searchClients(deps: PeopleDeps, searcher: Actor, query: string): ClientMatch[] {
  const q = query.trim().toLocaleLowerCase();
  if (q.length < CLIENT_QUERY_MIN || q.length > 254 || searcher.role === "client") return [];
  const bookable = (p: Person | null): p is Person => p?.role === "client" && getAccount(deps.db, p.id)?.status !== "deactivated";
  const scope = searcher.role === "specialist" ? store.clientIdsOfSpecialist(deps.db, searcher.personId).map((id) => getPerson(deps, id)) : listPeople(deps);
  const matches = scope.filter(bookable).filter((p) => p.name.toLocaleLowerCase().includes(q) || p.email.includes(q));
  if (searcher.role === "specialist" && q.includes("@")) {
    const exact = findPersonByEmail(deps, q);
    if (bookable(exact) && !matches.some((p) => p.id === exact.id)) matches.push(exact);
  }
  const found = matches
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, CLIENT_MATCHES_MAX)
    .map((p) => ({ id: p.id, name: p.name, email: p.email }));
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: searcher.personId, action: "client.search", details: { results: found.length } }), { behavior: "immediate" });
  return found;
}

/**
 * The client chosen on the booking form, within the chooser's scope (as the search): by id (the search's suggestion,
 * scripts, tests) or by exact email; a deactivated account is no choice. A specialist names by id only their own
 * clients; anyone else they find by exact email. Null when that is no client the chooser may book for.
 */
export function chooseClient(deps: PeopleDeps, chooser: Actor, choice: { client?: string; clientEmail: string }): Person | null {
  const email = choice.clientEmail;
  const byId = Boolean(choice.client);
  if (byId && chooser.role === "specialist" && !store.clientIdsOfSpecialist(deps.db, chooser.personId).includes(choice.client!)) return null;
  const person = byId ? getPerson(deps, choice.client!) : email && email.length <= 254 ? findPersonByEmail(deps, email) : null;
  if (person?.role !== "client" || getAccount(deps.db, person.id)?.status === "deactivated") return null;
  return person;
}

// ── the client chosen first ──
//
// Staff booking for someone choose the client on the first page; the choice then travels through the service, day
// and time pages in their links as a token: the client's id and a keyed MAC (the vault's index key) binding it to the
// chooser. So a specialist who found someone new to them by their exact email (or just added them) keeps that choice
// to the end, while an id copied from elsewhere or made up, or a token of another chooser, names nobody. The token
// says nothing about the person; their name is shown on the pages, opened for the chooser only.

const CHOICE_COLUMN = "booking.client-choice";

function choiceMac(deps: PeopleDeps, chooser: Actor, clientId: string): string {
  return Buffer.from(deps.vault.blindIndex(CHOICE_COLUMN, `${chooser.personId}\0${clientId}`).subarray(0, 16)).toString("base64url");
}

/** The token that carries a chosen client on through the booking pages. */
export function clientChoiceToken(deps: PeopleDeps, chooser: Actor, clientId: string): string {
  return `${clientId}.${choiceMac(deps, chooser, clientId)}`;
}

/** The client a token names, if this chooser made it and the client may still be booked for; else null. */
export function clientOfChoiceToken(deps: PeopleDeps, chooser: Actor, token: string | undefined): Person | null {
  if (!token || token.length > 200 || chooser.role === "client") return null;
  const dot = token.lastIndexOf(".");
  const clientId = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = Buffer.from(choiceMac(deps, chooser, clientId), "base64url");
  if (dot <= 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const person = getPerson(deps, clientId);
  return person?.role === "client" && getAccount(deps.db, person.id)?.status !== "deactivated" ? person : null;
}
