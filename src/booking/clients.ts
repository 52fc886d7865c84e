// Which client a booking made by staff is for.
import { findPersonByEmail, getPerson, type PeopleDeps, type Person } from "../people/people.ts";

/** The client chosen on the booking form: by id (scripts and tests) or by email; null when that is no client. */
export function chooseClient(deps: PeopleDeps, choice: { client?: string; clientEmail: string }): Person | null {
  const email = choice.clientEmail;
  const person = choice.client ? getPerson(deps, choice.client) : email && email.length <= 254 ? findPersonByEmail(deps, email) : null;
  return person?.role === "client" ? person : null;
}
