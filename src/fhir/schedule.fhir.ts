// Schedule and Slot, read-only, scope appointments:read. A Schedule is one specialist's bookable time for one service
// (what the booking pages offer), a Slot one free start in it, computed from the specialist's hours and bookings as
// the booking pages compute them. Slots are listed as a token's owner could book them (staff may book inside the
// minimum notice, so the list does too): a listed slot is one POST /Appointment will accept until someone takes it.
// No personal data: a Schedule names its Practitioner by reference only, so these reads are not audited.
import type { CodeableConcept, Schedule, Slot } from "@medplum/fhirtypes";
import type { Hono } from "hono";
import type { ApiEnv } from "../api/auth.ts";
import { requireScope } from "../api/auth.ts";
import { specialistSlots } from "../booking/appointments.ts";
import { getAvailability } from "../booking/availability.ts";
import { getService, listServices, type Service } from "../booking/services.ts";
import type { Installation } from "../installation.ts";
import { getSettings } from "../settings/settings.ts";
import { dateWindow } from "./dates.ts";
import { fhirBase, instant, isFhirId, parseScheduleId, parseSlotId, referencedId, type ScheduleKey, scheduleId, slotId, systems } from "./ids.ts";
import { fhirJson, outcome } from "./outcome.ts";
import { type ResourceDecl, readSearch, searchset, valuesOf } from "./search.ts";

/** Slots are searched in a window of at most this many days (default: the next 7 from now). */
export const SLOT_WINDOW_MAX_DAYS = 31;
export const SLOT_WINDOW_DEFAULT_DAYS = 7;

export const SCHEDULE: ResourceDecl = {
  type: "Schedule",
  scope: "appointments:read",
  documentation: "A specialist's bookable time for one service (id: <practitioner id>.<service id>).",
  searchParams: [
    { name: "_id", type: "token", documentation: "The schedule's id." },
    { name: "actor", type: "reference", documentation: "The specialist: Practitioner/<id>." },
    { name: "service-type", type: "token", documentation: "The service: `<base>/CodeSystem/service|<service id>` or the id alone." },
    { name: "active", type: "token", documentation: "true: the service is active and the specialist has working hours." },
  ],
};

export const SLOT: ResourceDecl = {
  type: "Slot",
  scope: "appointments:read",
  documentation: `Free starts, computed from working hours and bookings. Searched in a window of at most ${SLOT_WINDOW_MAX_DAYS} days (default the next ${SLOT_WINDOW_DEFAULT_DAYS}); only free slots exist here.`,
  searchParams: [
    { name: "schedule", type: "reference", documentation: "Schedule/<id>; several comma-separated." },
    { name: "start", type: "date", documentation: "The slot's start, with prefixes ge, gt, le, lt, eq (the window)." },
    { name: "service-type", type: "token", documentation: "The service: `<base>/CodeSystem/service|<service id>` or the id alone." },
    { name: "status", type: "token", documentation: "free (the only status listed)." },
  ],
};

export function serviceConcept(deps: Installation, service: Service): CodeableConcept {
  const name = service.name[getSettings(deps.db)?.language ?? "en"];
  return { coding: [{ system: systems(deps.config.publicUrl).service, code: service.id, display: name }], text: name };
}

export interface Bookable extends ScheduleKey {
  service: Service;
  active: boolean;
  horizonDays: number | null;
}

function bookables(deps: Installation): Bookable[] {
  return listServices(deps.db).flatMap((service) =>
    service.specialistIds.map((specialistId) => {
      const hours = getAvailability(deps.db, specialistId);
      return { specialistId, serviceId: service.id, service, active: service.active && hours !== null, horizonDays: hours?.horizonDays ?? null };
    }),
  );
}

export function bookable(deps: Installation, key: ScheduleKey | null): Bookable | null {
  const service = key && getService(deps.db, key.serviceId);
  if (!key || !service?.specialistIds.includes(key.specialistId)) return null;
  const hours = getAvailability(deps.db, key.specialistId);
  return { ...key, service, active: service.active && hours !== null, horizonDays: hours?.horizonDays ?? null };
}

function toSchedule(deps: Installation, b: Bookable): Schedule {
  const now = deps.clock.now();
  return {
    resourceType: "Schedule",
    id: scheduleId(b),
    active: b.active,
    serviceType: [serviceConcept(deps, b.service)],
    actor: [{ reference: `Practitioner/${b.specialistId}` }],
    ...(b.horizonDays !== null ? { planningHorizon: { start: instant(now), end: instant(now + b.horizonDays * 86_400_000) } } : {}),
    comment: `${b.service.durationMinutes} minutes, ${b.service.mode}`,
  };
}

function toSlot(deps: Installation, b: Bookable, start: number): Slot {
  return {
    resourceType: "Slot",
    id: slotId(b, start),
    schedule: { reference: `Schedule/${scheduleId(b)}` },
    status: "free",
    start: instant(start),
    end: instant(start + b.service.durationMinutes * 60_000),
    serviceType: [serviceConcept(deps, b.service)],
  };
}

/** Whether a service code of a search (`system|code` or `code`) names this service. */
function namesService(deps: Installation, value: string, service: Service): boolean {
  const system = systems(deps.config.publicUrl).service;
  return value.includes("|") ? value === `${system}|${service.id}` || value === `|${service.id}` : value === service.id;
}

/** The free starts of a bookable within [from, to). */
export function freeStarts(deps: Installation, b: Bookable, from: number, to: number): number[] {
  if (!b.active) return [];
  const at = Temporal.Instant.fromEpochMilliseconds;
  return specialistSlots(deps.db, b.service, b.specialistId, at(from), at(to), at(deps.clock.now()), undefined, true).map((s) => s.start.epochMilliseconds);
}

export function scheduleRoutes(fhir: Hono<ApiEnv>, deps: Installation): void {
  const base = fhirBase(deps.config.publicUrl);

  fhir.get("/Schedule", requireScope(SCHEDULE.scope), (c) => {
    const q = readSearch(c, SCHEDULE);
    if (!q.ok) return outcome(c, 400, "invalid", q.problem, q.expression);
    const tests: [string, (b: Bookable, v: string) => boolean][] = [
      ["_id", (b, v) => scheduleId(b) === v],
      ["actor", (b, v) => referencedId(v.includes("/") ? v : `Practitioner/${v}`, "Practitioner", base) === b.specialistId],
      ["service-type", (b, v) => namesService(deps, v, b.service)],
      ["active", (b, v) => String(b.active) === v],
    ];
    const found = bookables(deps).filter((b) => tests.every(([name, test]) => valuesOf(q.params, name).every((anyOf) => anyOf.some((v) => test(b, v)))));
    return fhirJson(c, 200, searchset(c, base, q, found, (b) => [scheduleId(b)], (page) => page.map((b) => toSchedule(deps, b))));
  });

  fhir.get("/Schedule/:id", requireScope(SCHEDULE.scope), (c) => {
    const b = bookable(deps, parseScheduleId(c.req.param("id")));
    if (!b) return outcome(c, 404, "not-found", `No Schedule ${c.req.param("id")}.`);
    return fhirJson(c, 200, toSchedule(deps, b));
  });

  fhir.get("/Slot", requireScope(SLOT.scope), (c) => {
    const q = readSearch(c, SLOT);
    if (!q.ok) return outcome(c, 400, "invalid", q.problem, q.expression);
    const zone = getSettings(deps.db)?.timeZone ?? "UTC";
    const dates = dateWindow(q.params.get("start") ?? [], zone);
    if (!dates.ok) return outcome(c, 400, "invalid", `"${dates.value}" is not a FHIR date or dateTime (with an optional prefix ge, gt, le, lt, eq).`, ["start"]);
    const now = deps.clock.now();
    const from = Math.max(dates.window.from, now);
    const to = dates.window.to === Number.MAX_SAFE_INTEGER ? from + SLOT_WINDOW_DEFAULT_DAYS * 86_400_000 : dates.window.to;
    if (to - from > SLOT_WINDOW_MAX_DAYS * 86_400_000) return outcome(c, 400, "too-costly", `Search slots at most ${SLOT_WINDOW_MAX_DAYS} days at a time: narrow start (ge/le).`, ["start"]);
    const schedules = valuesOf(q.params, "schedule");
    const wanted = (b: Bookable) =>
      schedules.every((anyOf) => anyOf.some((v) => referencedId(v.includes("/") ? v : `Schedule/${v}`, "Schedule", base) === scheduleId(b))) &&
      valuesOf(q.params, "service-type").every((anyOf) => anyOf.some((v) => namesService(deps, v, b.service))) &&
      valuesOf(q.params, "status").every((anyOf) => anyOf.includes("free"));
    const found = bookables(deps)
      .filter(wanted)
      .flatMap((b) => freeStarts(deps, b, from, to).map((start) => ({ b, start })));
    return fhirJson(c, 200, searchset(c, base, q, found, (s) => [s.start, scheduleId(s.b)], (page) => page.map((s) => toSlot(deps, s.b, s.start))));
  });

  fhir.get("/Slot/:id", requireScope(SLOT.scope), (c) => {
    const id = c.req.param("id");
    const key = isFhirId(id) ? parseSlotId(id) : null;
    const b = bookable(deps, key);
    if (!b || !key || !freeStarts(deps, b, key.start, key.start + 60_000).includes(key.start)) return outcome(c, 404, "not-found", `No free Slot ${id}: it was taken, has passed, or never existed.`);
    return fhirJson(c, 200, toSlot(deps, b, key.start));
  });
}

