// The StructureDefinitions embedded at build time (definitions.macro.ts); imported dynamically, on first validation.
import { embeddedDefinitions } from "./definitions.macro.ts" with { type: "macro" };

export const DEFINITIONS_JSON: string = embeddedDefinitions();
