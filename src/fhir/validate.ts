// Validation of incoming resources against FHIR R4 with a maintained validator (@medplum/core's validateResource:
// cardinality, types, formats such as instant, invariants like app-3). The definitions are indexed once, on first
// use, so an installation that never receives a FHIR create never loads them.
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from "@medplum/core";
import type { OperationOutcomeIssue, Resource, StructureDefinition } from "@medplum/fhirtypes";

let loaded: Promise<void> | null = null;

function loadDefinitions(): Promise<void> {
  loaded ??= import("./definitions.ts").then(({ DEFINITIONS_JSON }) => indexStructureDefinitionBundle(JSON.parse(DEFINITIONS_JSON) as StructureDefinition[]));
  return loaded;
}

/** The errors of a resource against R4 (empty: valid). Warnings are not errors. */
export async function validateFhirResource(resource: Resource): Promise<OperationOutcomeIssue[]> {
  await loadDefinitions();
  try {
    return validateResource(resource).filter((i) => i.severity === "error" || i.severity === "fatal");
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    throw err;
  }
}
