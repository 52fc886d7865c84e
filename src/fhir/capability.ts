// The CapabilityStatement at /fhir/R4/metadata: what this server is and does, built from the same declarations the
// searches check their parameters against (search.ts), so it cannot promise a parameter that is refused.
import type { CapabilityStatement, CapabilityStatementRestResource } from "@medplum/fhirtypes";
import { SCOPES } from "../api/scopes.ts";
import { VERSION } from "../version.ts";
import type { ResourceDecl } from "./search.ts";

export function capabilityStatement(base: string, now: number, resources: readonly ResourceDecl[]): CapabilityStatement {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: new Date(now).toISOString(),
    publisher: "Kabinet",
    kind: "instance",
    software: { name: "Kabinet", version: VERSION },
    implementation: { description: "Kabinet: appointments, clients and specialists of this installation as FHIR R4 (read, search; Appointment create).", url: base },
    fhirVersion: "4.0.1",
    format: ["json", "application/fhir+json"],
    rest: [
      {
        mode: "server",
        documentation: "Read-only Patient, Practitioner, Schedule, Slot and Appointment, and booking by creating an Appointment. Searches page with _count (at most 200) and the next link.",
        security: {
          cors: false,
          description:
            "Bearer API tokens (`Authorization: Bearer kbt_…`), made by an admin or a specialist under My account → API tokens; the same tokens as /api/v1. " +
            "Each interaction needs a scope: " +
            [...new Set(resources.flatMap((r) => [r.scope, ...(r.create ? [r.create.scope] : [])]))].map((s) => `${s} (${SCOPES[s].about})`).join("; ") +
            ". A token acts as its owner: a specialist's token sees only their own clients and appointments.",
        },
        resource: resources.map((r): CapabilityStatementRestResource => ({
          type: r.type,
          documentation: `${r.documentation} Scope: ${r.scope}.${r.create ? ` Create: ${r.create.documentation} Scope: ${r.create.scope}.` : ""}`,
          interaction: [{ code: "read" }, { code: "search-type" }, ...(r.create ? [{ code: "create" as const }] : [])],
          versioning: "no-version",
          readHistory: false,
          updateCreate: false,
          conditionalCreate: false,
          searchParam: r.searchParams.map((p) => ({ name: p.name, type: p.type, documentation: p.documentation })),
        })),
      },
    ],
  };
}
