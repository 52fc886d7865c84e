// Appointment, read and search (scope appointments:read): a specialist's token sees their own appointments, admins'
// and staff's every one, as in the web UI (booking's mayView). Each Appointment returned is audited, and so is every
// search by patient, actor or practitioner, even one returning no entry (reads.ts).
//
// Mapping: Kabinet's statuses booked → booked, cancelled → cancelled, completed → fulfilled, no-show → noshow; the
// client is the Patient participant, the specialist the Practitioner; the service is serviceType (<base>/CodeSystem/
// service). An online consultation carries its video details in R5's Appointment.virtualService, written in R4 as
// the official cross-version extension: the channel (Kabinet's video) and the address where both join (the
// appointment's page, which opens the room for a signed-in participant; the address admits nobody by itself).
// meta.versionId and the ETag are a digest of the content (versionOf), not the booking's revision, which a status
// change without a move (no-show, held) leaves as it was.
import { createHash } from "node:crypto";
import type { Appointment as FhirAppointment, Extension } from "@medplum/fhirtypes";
import type { Hono } from "hono";
import type { ApiEnv } from "../api/auth.ts";
import { actorOf, requireScope } from "../api/auth.ts";
import { type Appointment, type AppointmentStatus, getAppointment, listAppointments, mayView } from "../booking/appointments.ts";
import { getService } from "../booking/services.ts";
import type { Installation } from "../installation.ts";
import { getSettings } from "../settings/settings.ts";
import { dateWindow } from "./dates.ts";
import { fhirBase, fromFhirId, instant, isFhirId, referencedId, systems, toFhirId } from "./ids.ts";
import { fhirJson, outcome } from "./outcome.ts";
import { auditFhirReads, auditFhirSearch } from "./reads.ts";
import { serviceConcept } from "./schedule.fhir.ts";
import { personalFilters, type ResourceDecl, readSearch, searchset, valuesOf } from "./search.ts";

export const VIRTUAL_SERVICE_EXTENSION = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.virtualService";

export const FHIR_STATUS: Record<AppointmentStatus, FhirAppointment["status"]> = { booked: "booked", cancelled: "cancelled", completed: "fulfilled", "no-show": "noshow" };

export const APPOINTMENT: ResourceDecl = {
  type: "Appointment",
  scope: "appointments:read",
  documentation: "Consultations. A specialist's token sees their own, admins' and staff's all. Online ones carry the join address in the R5 virtualService extension. Every read is audited.",
  searchParams: [
    { name: "_id", type: "token", documentation: "The appointment's id." },
    { name: "date", type: "date", documentation: "The start, with prefixes ge, gt, le, lt, eq; a date without a zone is in the organisation's zone." },
    { name: "patient", type: "reference", documentation: "The client: Patient/<id>.", personal: true },
    { name: "practitioner", type: "reference", documentation: "The specialist: Practitioner/<id>.", personal: true },
    { name: "actor", type: "reference", documentation: "Either participant: Patient/<id> or Practitioner/<id>.", personal: true },
    { name: "status", type: "token", documentation: "booked, cancelled, fulfilled (held), noshow; comma-separated for any of several." },
    { name: "service-type", type: "token", documentation: "The service: `<base>/CodeSystem/service|<service id>` or the id alone." },
  ],
  create: {
    scope: "appointments:write",
    documentation: "Books through Kabinet's booking rules: status proposed or booked, a Patient and a Practitioner participant, and either start (+ end) with serviceType, or a slot reference from a Slot search. 201 with Location; 409 when the time is taken.",
  },
};

export function toFhirAppointment(deps: Installation, a: Appointment): FhirAppointment {
  const service = getService(deps.db, a.serviceId);
  const extension: Extension[] =
    service?.mode === "online"
      ? [
          {
            url: VIRTUAL_SERVICE_EXTENSION,
            extension: [
              { url: "channelType", valueCoding: { system: systems(deps.config.publicUrl).channel, code: "kabinet-video", display: "Kabinet video consultation" } },
              { url: "address", valueUrl: new URL(`/appointments/${a.id}`, deps.config.publicUrl).toString() },
              { url: "maxParticipants", valuePositiveInt: 2 },
            ],
          },
        ]
      : [];
  const content: Omit<FhirAppointment, "resourceType" | "id" | "meta"> = {
    ...(extension.length ? { extension } : {}),
    status: FHIR_STATUS[a.status],
    ...(service ? { serviceType: [serviceConcept(deps, service)] } : {}),
    start: instant(a.start),
    end: instant(a.end),
    minutesDuration: Math.round((a.end - a.start) / 60_000),
    participant: [
      { actor: { reference: `Patient/${a.clientId}` }, required: "required", status: "accepted" },
      { actor: { reference: `Practitioner/${a.specialistId}` }, required: "required", status: "accepted" },
    ],
  };
  return { resourceType: "Appointment", id: toFhirId(a.id), meta: { versionId: versionOf(a.id, content) }, ...content };
}

/**
 * The version of what an Appointment shows: a digest of its content, so meta.versionId and the ETag change whenever
 * anything in it does (a no-show or a held call changes the status without a new revision; a renamed service its
 * serviceType), and only then. Hex: a FHIR id allows [A-Za-z0-9.-] only.
 */
function versionOf(id: string, content: object): string {
  return createHash("sha256").update(id).update("\n").update(JSON.stringify(content)).digest("hex").slice(0, 16);
}

/** The weak ETag of an Appointment as returned: its version. */
export function etagOf(resource: FhirAppointment): string {
  return `W/"${resource.meta?.versionId ?? ""}"`;
}

export function appointmentRoutes(fhir: Hono<ApiEnv>, deps: Installation): void {
  const base = fhirBase(deps.config.publicUrl);
  const serviceSystem = systems(deps.config.publicUrl).service;
  const ref = (v: string, type: string) => referencedId(v.includes("/") ? v : `${type}/${v}`, type, base);

  fhir.get("/Appointment", requireScope(APPOINTMENT.scope), (c) => {
    const q = readSearch(c, APPOINTMENT);
    if (!q.ok) return outcome(c, 400, "invalid", q.problem, q.expression);
    const dates = dateWindow(q.params.get("date") ?? [], getSettings(deps.db)?.timeZone ?? "UTC");
    if (!dates.ok) return outcome(c, 400, "invalid", `"${dates.value}" is not a FHIR date or dateTime (with an optional prefix ge, gt, le, lt, eq).`, ["date"]);
    const viewer = actorOf(c);
    const { from, to } = dates.window;
    const tests: [string, (a: Appointment, v: string) => boolean][] = [
      ["_id", (a, v) => toFhirId(a.id) === v],
      ["patient", (a, v) => ref(v, "Patient") === a.clientId],
      ["practitioner", (a, v) => ref(v, "Practitioner") === a.specialistId],
      ["actor", (a, v) => referencedId(v, "Patient", base) === a.clientId || referencedId(v, "Practitioner", base) === a.specialistId],
      ["status", (a, v) => FHIR_STATUS[a.status] === v],
      ["service-type", (a, v) => (v.includes("|") ? v === `${serviceSystem}|${a.serviceId}` || v === `|${a.serviceId}` : v === a.serviceId)],
    ];
    const found = listAppointments(deps.db, { ...(viewer.role === "specialist" ? { specialistIds: [viewer.personId] } : {}), from: Math.max(from - 86_400_000, Number.MIN_SAFE_INTEGER), to })
      .filter((a) => a.start >= from && a.start < to && mayView(a, viewer))
      .filter((a) => tests.every(([name, test]) => valuesOf(q.params, name).every((anyOf) => anyOf.some((v) => test(a, v)))));
    const patients = new Set([...valuesOf(q.params, "patient").flat().map((v) => ref(v, "Patient")), ...valuesOf(q.params, "actor").flat().map((v) => referencedId(v, "Patient", base))].filter((id): id is string => id !== null));
    auditFhirSearch(deps, c.get("holder"), "fhir.appointment.search", { by: personalFilters(q, APPOINTMENT), results: found.length, clientId: patients.size === 1 ? [...patients][0]! : null });
    const bundle = searchset(c, base, q, found, (a) => [a.start, a.id], (page) => {
      auditFhirReads(deps, c.get("holder"), "fhir.appointment.view", page.map((a) => a.id));
      return page.map((a) => toFhirAppointment(deps, a));
    });
    return fhirJson(c, 200, bundle);
  });

  fhir.get("/Appointment/:id", requireScope(APPOINTMENT.scope), (c) => {
    const id = c.req.param("id");
    const a = isFhirId(id) ? getAppointment(deps.db, fromFhirId(id)) : null;
    if (!a || !mayView(a, actorOf(c))) return outcome(c, 404, "not-found", `No Appointment ${id} that this token may read.`);
    auditFhirReads(deps, c.get("holder"), "fhir.appointment.view", [a.id]);
    const resource = toFhirAppointment(deps, a);
    return fhirJson(c, 200, resource, { etag: etagOf(resource) });
  });
}
