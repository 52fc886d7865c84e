// Every read of personal data through FHIR is audited as the token's owner, with the token's name, one entry per
// resource returned (a search that returns ten patients records ten reads), so the who-read report
// (src/accountability/reads.ts) names each client whose data left through an integration.
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
