// Every read of personal data through FHIR is audited as the token's owner, with the token's name, one entry per
// resource returned (a search that returns ten patients records ten reads), so the who-read report
// (src/accountability/reads.ts) names each client whose data left through an integration.
//
// A search's `total` tells something too, with no entry returned (`_count=0`): whether an email is a client's, a
// name letter by letter, how many appointments a client has. So every search filtering on personal data (Patient by
// anything, Appointment by patient, actor or practitioner) is also one entry of its own, with the token's name, the
// filters used (never their values) and the number of matches; it names the client when the search is about one (a
// Patient search that found exactly one, an Appointment search for one patient), so the who-read report shows it.
import type { TokenHolder } from "../api/tokens.ts";
import { recordAudit } from "../audit/audit.ts";
import type { Installation } from "../installation.ts";

export type FhirReadAction = "fhir.patient.view" | "fhir.practitioner.view" | "fhir.appointment.view";

export function auditFhirReads(deps: Pick<Installation, "db" | "vault" | "clock">, holder: TokenHolder, action: FhirReadAction, targets: readonly string[]): void {
  if (targets.length === 0) return;
  const at = deps.clock.now();
  deps.db.transaction(
    (tx) => {
      for (const target of targets) recordAudit(tx, deps.vault, { at, actor: holder.token.personId, action, target, details: { token: holder.token.name } });
    },
    { behavior: "immediate" },
  );
}

export type FhirSearchAction = "fhir.patient.search" | "fhir.appointment.search";

export interface FhirSearch {
  /** The personal-data filters used (search.ts personalFilters); the search is not audited when there are none. */
  by: readonly string[];
  results: number;
  /** The one client the search is about, if any. */
  clientId: string | null;
}

export function auditFhirSearch(deps: Pick<Installation, "db" | "vault" | "clock">, holder: TokenHolder, action: FhirSearchAction, search: FhirSearch): void {
  if (search.by.length === 0) return;
  const details = { token: holder.token.name, results: search.results, by: search.by.join(",") };
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { at: deps.clock.now(), actor: holder.token.personId, action, target: search.clientId ?? undefined, details }), { behavior: "immediate" });
}
