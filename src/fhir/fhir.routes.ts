// The FHIR R4 view at /fhir/R4, for clinic systems: Patient, Practitioner, Schedule, Slot and Appointment to read and
// search, and Appointment to create (booking). The same API tokens as /api/v1 (src/api/auth.ts): `authenticate` on
// every route but the CapabilityStatement, `requireScope` on each. Everything is read and booked through the domain
// services (people, booking), with their rules; errors are OperationOutcomes (outcome.ts). docs/fhir.md tells it all.
import { Hono } from "hono";
import { type ApiEnv, authenticate } from "../api/auth.ts";
import { allow, anyone } from "../http/access.ts";
import type { Installation } from "../installation.ts";
import { APPOINTMENT, appointmentRoutes } from "./appointment.fhir.ts";
import { appointmentCreateRoutes } from "./appointment-create.fhir.ts";
import { capabilityStatement } from "./capability.ts";
import { refuseFormatsOtherThanJson } from "./format.ts";
import { fhirBase } from "./ids.ts";
import { fhirJson, outcome, answerInOutcomes } from "./outcome.ts";
import { PATIENT, PRACTITIONER, peopleRoutes } from "./people.fhir.ts";
import { SCHEDULE, SLOT, scheduleRoutes } from "./schedule.fhir.ts";

export const FHIR_RESOURCES = [PATIENT, PRACTITIONER, SCHEDULE, SLOT, APPOINTMENT];

export function fhirRoutes(deps: Installation): Hono<ApiEnv> {
  const fhir = new Hono<ApiEnv>();
  const base = fhirBase(deps.config.publicUrl);
  fhir.use("*", answerInOutcomes());
  fhir.use("*", refuseFormatsOtherThanJson()); // JSON only: asked for XML, a 406 rather than JSON it cannot read

  // Open to anyone, like /api/v1/openapi.json: what this server is. Registered before the token check.
  fhir.get("/metadata", allow(anyone), (c) => fhirJson(c, 200, capabilityStatement(base, deps.clock.now(), FHIR_RESOURCES)));

  fhir.use("*", authenticate(deps));
  peopleRoutes(fhir, deps);
  scheduleRoutes(fhir, deps);
  appointmentRoutes(fhir, deps);
  appointmentCreateRoutes(fhir, deps);

  // Anything else: a type this server does not serve (404), or an interaction it does not support (405).
  fhir.all("*", (c) => {
    const type = c.req.path.slice("/fhir/R4/".length).split("/")[0] ?? "";
    return FHIR_RESOURCES.some((r) => r.type === type)
      ? outcome(c, 405, "not-supported", `${c.req.method} is not supported here: this server reads and searches ${type}${type === "Appointment" ? " and creates it" : ""} (see /fhir/R4/metadata).`)
      : outcome(c, 404, "not-found", `This server has no resource type "${type}": see /fhir/R4/metadata.`);
  });
  return fhir;
}
