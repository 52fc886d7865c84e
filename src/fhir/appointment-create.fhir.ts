// POST /fhir/R4/Appointment (scope appointments:write): a clinic system books through Kabinet's own booking rules.
//
// The body is checked in three steps, each answering as FHIR's REST API says: not JSON, not an Appointment, or not
// valid R4 (validate.ts) → 400 with the validator's issues; valid R4 that Kabinet cannot map (a status other than
// proposed or booked, no Patient, an unknown service, an end that does not fit the service, a client the token's
// owner may not book for) → 422 naming the element; then book() decides with all its rules, in its one transaction:
// a time that is not free → 409. The client is chosen as on the booking form (booking's chooseClient: a specialist
// names by id only their own clients), and, as /api/v1 and the web booking do, a client who withdrew consent to the
// processing of their data is refused (422) before book(). Success: 201, Location, and the booked Appointment.
import type { Appointment as FhirAppointment } from "@medplum/fhirtypes";
import type { Context, Hono } from "hono";
import type { ApiEnv } from "../api/auth.ts";
import { actorOf, requireScope } from "../api/auth.ts";
import { book } from "../booking/appointments.ts";
import { chooseClient } from "../booking/clients.ts";
import { getService, type Service } from "../booking/services.ts";
import { bookingAllowed } from "../consent/ledger.ts";
import type { Installation } from "../installation.ts";
import { APPOINTMENT, etagOf, toFhirAppointment } from "./appointment.fhir.ts";
import { fhirBase, isFhirId, parseSlotId, referencedId, systems, toFhirId } from "./ids.ts";
import { FHIR_JSON, fhirJson, outcome, outcomeOf } from "./outcome.ts";
import { validateFhirResource } from "./validate.ts";

interface Booking {
  service: Service;
  specialistId: string;
  clientId: string;
  start: number;
}

type Mapped = { ok: true; booking: Booking } | { ok: false; text: string; expression: string };

/** What to book, read from a valid R4 Appointment; or the element Kabinet cannot map. */
export function mapAppointment(deps: Installation, c: Context<ApiEnv>, r: FhirAppointment): Mapped {
  const base = fhirBase(deps.config.publicUrl);
  const no = (text: string, expression: string): Mapped => ({ ok: false, text, expression });
  if (r.status !== "proposed" && r.status !== "booked") return no(`Only an Appointment with status proposed or booked can be created (it is then booked); this one is ${r.status}.`, "Appointment.status");
  const actors = (r.participant ?? []).map((p) => p.actor?.reference);
  const patients = actors.map((a) => referencedId(a, "Patient", base)).filter((id): id is string => id !== null);
  const practitioners = actors.map((a) => referencedId(a, "Practitioner", base)).filter((id): id is string => id !== null);
  if (patients.length !== 1) return no("Name exactly one client as a participant: actor.reference Patient/<id>.", "Appointment.participant");
  if (practitioners.length > 1) return no("Name at most one specialist as a participant: actor.reference Practitioner/<id>.", "Appointment.participant");
  if (actors.length !== patients.length + practitioners.length) return no("Participants may only be a Patient and a Practitioner of this server (Patient/<id>, Practitioner/<id>).", "Appointment.participant");

  const slotRef = r.slot?.[0]?.reference;
  const slotKey = slotRef === undefined ? null : parseSlotId(referencedId(slotRef, "Slot", base) ?? "");
  if (slotRef !== undefined && (!slotKey || (r.slot?.length ?? 0) > 1)) return no(`${slotRef} is not a Slot of this server: search /Slot for free ones.`, "Appointment.slot");

  const serviceSystem = systems(deps.config.publicUrl).service;
  const codes = (r.serviceType ?? []).flatMap((t) => t.coding ?? []).filter((cd) => cd.code && (cd.system === undefined || cd.system === serviceSystem));
  const serviceId = slotKey?.serviceId ?? codes[0]?.code;
  if (!serviceId) return no(`Name the service: serviceType.coding with system ${serviceSystem} and the service id as code, or a slot reference.`, "Appointment.serviceType");
  if (codes.some((cd) => cd.code !== serviceId)) return no("serviceType names another service than the slot.", "Appointment.serviceType");
  const service = getService(deps.db, serviceId);
  if (!service?.active) return no(`No active service ${serviceId}.`, "Appointment.serviceType");

  const specialistId = slotKey?.specialistId ?? practitioners[0];
  if (!specialistId) return no("Name the specialist: a participant Practitioner/<id>, or a slot reference.", "Appointment.participant");
  if (practitioners[0] !== undefined && practitioners[0] !== specialistId) return no("The Practitioner participant is not the slot's specialist.", "Appointment.participant");
  if (!service.specialistIds.includes(specialistId)) return no(`Practitioner/${specialistId} does not offer this service.`, "Appointment.participant");

  const start = r.start === undefined ? slotKey?.start : Date.parse(r.start);
  if (start === undefined) return no("Give the start, or a slot reference.", "Appointment.start");
  if (slotKey && start !== slotKey.start) return no("start is not the slot's start.", "Appointment.start");
  if (r.end !== undefined && Date.parse(r.end) !== start + service.durationMinutes * 60_000) return no(`end must be start + ${service.durationMinutes} minutes, the service's length (or leave it out with a slot).`, "Appointment.end");
  if (r.minutesDuration !== undefined && r.minutesDuration !== service.durationMinutes) return no(`minutesDuration must be ${service.durationMinutes}, the service's length.`, "Appointment.minutesDuration");

  const client = isFhirId(patients[0]!) ? chooseClient(deps, actorOf(c), { client: patients[0]!, clientEmail: "" }) : null;
  if (!client) return no(`Patient/${patients[0]} is not a client this token's owner may book for.`, "Appointment.participant");
  return { ok: true, booking: { service, specialistId, clientId: client.id, start } };
}

export function appointmentCreateRoutes(fhir: Hono<ApiEnv>, deps: Installation): void {
  const base = fhirBase(deps.config.publicUrl);

  fhir.post("/Appointment", requireScope(APPOINTMENT.create!.scope), async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/(fhir\+)?json\s*(;|$)/i.test(type)) return outcome(c, 415, "not-supported", `Send the Appointment as ${FHIR_JSON} (or application/json).`);
    const body: unknown = await c.req.json().catch(() => undefined);
    if (typeof body !== "object" || body === null || Array.isArray(body)) return outcome(c, 400, "structure", "The body is not a JSON object.");
    const resource = body as FhirAppointment;
    if (resource.resourceType !== "Appointment") return outcome(c, 400, "invalid", `POST /Appointment takes an Appointment, not ${String(resource.resourceType ?? "a body without resourceType")}.`, ["resourceType"]);
    const issues = await validateFhirResource(resource);
    if (issues.length) return fhirJson(c, 400, { resourceType: "OperationOutcome", issue: issues });

    const mapped = mapAppointment(deps, c, resource);
    if (!mapped.ok) return fhirJson(c, 422, outcomeOf([{ code: "business-rule", text: mapped.text, expression: [mapped.expression] }]));
    const { service, specialistId, clientId, start } = mapped.booking;
    if (!bookingAllowed(deps.db, clientId)) {
      return outcome(c, 422, "business-rule", "The client has withdrawn their consent to the processing of their data: nothing new can be booked for them unless they give it again.", ["Appointment.participant"]);
    }
    const result = book(deps, { serviceId: service.id, specialistId, start, clientId, actor: actorOf(c) });
    if (!result.ok) {
      if (result.reason === "taken") return outcome(c, 409, "conflict", "That time is not free (taken meanwhile, or outside the specialist's hours): search /Slot for free ones.", ["Appointment.start"]);
      if (result.reason === "restricted") return outcome(c, 422, "business-rule", "Processing of this client's data is restricted (GDPR art. 18): nothing new can be booked for them.", ["Appointment.participant"]);
      return outcome(c, 422, "business-rule", "This service can no longer be booked with this specialist.", ["Appointment.serviceType"]);
    }
    const booked = result.appointments[0]!;
    const location = `${base}/Appointment/${toFhirId(booked.id)}`;
    if (/return=minimal/i.test(c.req.header("prefer") ?? "")) return c.body(null, 201, { location });
    const created = toFhirAppointment(deps, booked);
    return fhirJson(c, 201, created, { location, etag: etagOf(created) });
  });
}
