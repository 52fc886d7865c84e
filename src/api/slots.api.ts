// /api/v1/slots and /api/v1/specialists/{id}/availability: free times and working hours (scope appointments:read).
// Free times are computed by the booking service exactly as the booking pages compute them for staff, so a time
// listed here is one POST /appointments can take (until someone else does). Nothing here is about a client: no audit.
import { z } from "@hono/zod-openapi";
import { specialistSlots } from "../booking/appointments.ts";
import { getAvailability } from "../booking/availability.ts";
import { getService } from "../booking/services.ts";
import { AppError } from "../http/app-error.ts";
import type { Installation } from "../installation.ts";
import { readingOf } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import type { Api } from "./api.ts";
import { ETAG, idParam, Instant, NOT_MODIFIED, iso, SLOT_WINDOW_DAYS, windowQuery } from "./appointments.schema.ts";
import { apiRoute, NOT_FOUND, UNPROCESSABLE, wholeListOf } from "./route.ts";
import { EXAMPLE } from "./examples.ts";

const SlotQuery = windowQuery(
  SLOT_WINDOW_DAYS,
  {
    serviceId: z.string().min(1).max(100).openapi({ description: "The service to book (GET /services).", example: EXAMPLE.serviceId }),
    specialistId: z.string().min(1).max(100).optional().openapi({ description: "Only this specialist's times; omit for every specialist who offers the service.", example: EXAMPLE.specialistId }),
  },
  "Slots are listed by start time.",
);

const SlotSchema = z
  .object({
    start: Instant.openapi({ description: "Start, ISO 8601 in UTC: pass it as `start` to POST /appointments.", example: "2026-12-07T07:00:00.000Z" }),
    end: Instant.openapi({ description: "End, ISO 8601 in UTC (the service's duration; buffers not included).", example: "2026-12-07T07:50:00.000Z" }),
    specialistId: z.string().openapi({ example: EXAMPLE.specialistId }),
    timeZone: z.string().openapi({ description: "The specialist's time zone (IANA).", example: "Europe/Moscow" }),
  })
  .openapi("Slot", { description: "A free time of one specialist for the service." });

const Interval = z.object({ start: z.string().openapi({ example: "09:00" }), end: z.string().openapi({ example: "13:00" }) }).openapi("Interval", { description: "Wall-clock times (24-hour) in the specialist's zone." });
const Weekly = z
  .object(Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [String(d), z.array(Interval).optional()])))
  .openapi({ description: "Working hours by ISO weekday: `1` Monday … `7` Sunday; a day left out is not worked.", example: { "1": [{ start: "09:00", end: "13:00" }, { start: "14:00", end: "19:00" }] } });

const AvailabilitySchema = z
  .object({
    specialistId: z.string(),
    hoursSet: z.boolean().openapi({ description: "False until the specialist (or an admin) saves working hours; until then nobody can book them." }),
    timeZone: z.string().openapi({ description: "The zone the hours are kept in (IANA).", example: "Europe/Moscow" }),
    weekly: Weekly,
    exceptions: z.record(z.string(), z.array(Interval)).openapi({ description: "Dates (YYYY-MM-DD) whose hours replace the weekly ones; an empty list is a day off.", example: { "2026-12-31": [] } }),
    minNoticeMinutes: z.number().int().openapi({ description: "Clients booking themselves must do so at least this long ahead; staff and the API may book inside it." }),
    horizonDays: z.number().int().openapi({ description: "How far ahead times are offered, in days." }),
  })
  .openapi("Availability");

const slots = apiRoute("appointments:read", {
  method: "get",
  path: "/slots",
  operationId: "listSlots",
  tags: ["Free times"],
  summary: "List free times of a service",
  description:
    "The free times of a service in a window, for one specialist or for each who offers it, by start time. These are the times staff see on the booking pages: working hours and exceptions in the specialist's zone, existing appointments and their buffers, and the booking horizon. The minimum notice is not applied (staff and the API may book inside it). The window may span at most 31 days.",
  request: { query: SlotQuery },
  responses: {
    200: {
      description: "Free times, ordered by start, then specialist. An empty list carries a `note` saying why.",
      headers: ETAG,
      content: {
        "application/json": {
          schema: wholeListOf(
            {
              items: z.array(SlotSchema),
              note: z.string().optional().openapi({
                description:
                  "Only when `items` is empty: why. Either a specialist asked for has not saved working hours (GET /specialists/{id}/availability shows `hoursSet: false`; nobody can book them until they, or an admin, save hours), or there is no free time in the window (booked, days off, or beyond the booking horizon).",
                example: "No free times: specialist 7c1e4b2a-9f3d-4e8a-b6c5-2d1f0a9e8b7c has not saved working hours (GET /specialists/{id}/availability shows hoursSet: false).",
              }),
            },
            "SlotList",
            "the free times of the window (at most 31 days) come in one answer.",
          ),
        },
      },
    },
    ...NOT_MODIFIED,
    ...NOT_FOUND,
    ...UNPROCESSABLE,
  },
});

const availability = apiRoute("appointments:read", {
  method: "get",
  path: "/specialists/{id}/availability",
  operationId: "getSpecialistAvailability",
  tags: ["Free times"],
  summary: "Read a specialist's working hours",
  description: "The specialist's weekly hours, date exceptions, minimum notice and booking horizon, in their own time zone.",
  request: { params: idParam("The specialist's person id (a service's specialistIds).", EXAMPLE.specialistId) },
  responses: { 200: { description: "The specialist's hours.", headers: ETAG, content: { "application/json": { schema: AvailabilitySchema } } }, ...NOT_MODIFIED, ...NOT_FOUND },
});

export function slotsApi(api: Api, deps: Installation): void {
  api.openapi(slots, (c) => {
    const q = c.req.valid("query");
    const service = getService(deps.db, q.serviceId);
    if (!service?.active || service.specialistIds.length === 0) throw new AppError(404, "No bookable service with this id: GET /services lists them (an inactive service, or one nobody offers, has no free times).");
    if (q.specialistId !== undefined && !service.specialistIds.includes(q.specialistId)) {
      throw new AppError(422, "This specialist does not offer this service: choose one of the service's specialistIds, or omit specialistId.");
    }
    const from = Temporal.Instant.fromEpochMilliseconds(Date.parse(q.from));
    const to = Temporal.Instant.fromEpochMilliseconds(Date.parse(q.to));
    const now = Temporal.Instant.fromEpochMilliseconds(deps.clock.now());
    const items = (q.specialistId ? [q.specialistId] : service.specialistIds)
      .flatMap((specialistId) =>
        specialistSlots(deps.db, service, specialistId, from, to, now, undefined, true).map((s) => ({
          start: iso(s.start.epochMilliseconds),
          end: iso(s.end.epochMilliseconds),
          specialistId,
          timeZone: s.start.timeZoneId,
        })),
      )
      .sort((a, b) => (a.start === b.start ? (a.specialistId < b.specialistId ? -1 : 1) : a.start < b.start ? -1 : 1));
    return c.json({ items, next: null, ...(items.length === 0 ? { note: whyNoSlots(deps, q.specialistId ? [q.specialistId] : service.specialistIds, service.id) } : {}) }, 200);
  });

  api.openapi(availability, (c) => {
    const { id } = c.req.valid("param");
    if (readingOf(deps.db, id)?.role !== "specialist") throw new AppError(404, "No specialist with this id.");
    const av = getAvailability(deps.db, id);
    if (!av) return c.json({ specialistId: id, hoursSet: false, timeZone: getSettings(deps.db)?.timeZone ?? "UTC", weekly: {}, exceptions: {}, minNoticeMinutes: 0, horizonDays: 0 }, 200);
    return c.json({ specialistId: id, hoursSet: true, timeZone: av.timeZone, weekly: av.weekly, exceptions: av.exceptions, minNoticeMinutes: av.minNoticeMinutes, horizonDays: av.horizonDays }, 200);
  });
}

/** Why a window has no free time: the integrator's first guess ("the API is broken") is usually hours never saved. */
function whyNoSlots(deps: Installation, specialistIds: readonly string[], serviceId: string): string {
  const withoutHours = specialistIds.filter((id) => getAvailability(deps.db, id) === null);
  if (withoutHours.length > 0) {
    const who = withoutHours.length === 1 ? `specialist ${withoutHours[0]} has` : `specialists ${withoutHours.join(", ")} have`;
    return `No free times: ${who} not saved working hours (GET /specialists/{id}/availability shows hoursSet: false), so nobody can book them until they or an admin save hours under Hours.${withoutHours.length < specialistIds.length ? " The others have no free time in this window." : ""}`;
  }
  return `No free times of service ${serviceId} in this window: every working hour is booked, a day off, or beyond the booking horizon (GET /specialists/{id}/availability). Try a later window.`;
}
