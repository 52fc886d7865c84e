// What the booking part of the API reads and writes: instants as ISO 8601 strings, the bounded windows of the list
// routes, and the appointment as integrations see it. No names or contact details: people are behind people:read,
// an appointment names them by id only.
import type { Payment } from "../payments/payments.ts";
import { z } from "@hono/zod-openapi";
import type { Appointment } from "../booking/appointments.ts";
import { getAvailability } from "../booking/availability.ts";
import type { Service } from "../booking/services.ts";
import type { Queryable } from "../db/client.ts";
import { getSettings } from "../settings/settings.ts";
import { EXAMPLE } from "./examples.ts";

/** Longest window one list request may cover: free times, and appointments. */
export const SLOT_WINDOW_DAYS = 31;
export const APPOINTMENT_WINDOW_DAYS = 92;

const DAY_MS = 86_400_000;

/** An instant with its offset (`Z` or `+03:00`); answers always use UTC (`Z`). */
export const Instant = z.iso.datetime({ offset: true }).openapi({ example: "2026-12-07T07:00:00Z" });

/** A path `{id}`, described for the document. */
export function idParam(description: string, example: string) {
  return z.object({ id: z.string().min(1).max(100).openapi({ param: { name: "id", in: "path" }, description, example }) });
}
export const AppointmentIdParam = idParam("The appointment's id (from GET /appointments or POST /appointments).", EXAMPLE.appointmentId);

/** A window [from, to) of at most `days`: checked with the other fields, so a bad one is a 400 with its path. */
export function windowQuery<T extends z.ZodRawShape>(days: number, shape: T, about: string) {
  return z
    .object({
      from: Instant.openapi({ description: `Start of the window (inclusive). ${about}`, example: "2026-12-07T00:00:00Z" }),
      to: Instant.openapi({ description: `End of the window (exclusive); at most ${days} days after \`from\`.`, example: "2026-12-14T00:00:00Z" }),
      ...shape,
    })
    .superRefine((q, ctx) => {
      const from = Date.parse((q as { from: string }).from);
      const to = Date.parse((q as { to: string }).to);
      if (!(to > from)) ctx.addIssue({ code: "custom", path: ["to"], message: "`to` must be after `from`." });
      else if (to - from > days * DAY_MS) ctx.addIssue({ code: "custom", path: ["to"], message: `The window may span at most ${days} days: ask for the rest in further requests.` });
    });
}

/** Every GET answers with an ETag; a client that sends it back in If-None-Match gets 304 while nothing changed. */
export const ETAG = { ETag: { description: "Identifies this answer: send it as `If-None-Match` to get 304 while it is unchanged.", schema: { type: "string" as const } } };
export const NOT_MODIFIED = { 304: { description: "Not modified: the answer would be the same as the one whose `ETag` was sent in `If-None-Match`." } } as const;

export const iso = (ms: number): string => new Date(ms).toISOString();

export const STATUSES = ["booked", "completed", "cancelled", "no-show"] as const;

export const AppointmentSchema = z
  .object({
    id: z.string().openapi({ example: EXAMPLE.appointmentId }),
    serviceId: z.string().openapi({ example: EXAMPLE.serviceId }),
    specialistId: z.string().openapi({ description: "The specialist's person id (their name: GET /specialists/{id} with people:read).", example: EXAMPLE.specialistId }),
    clientId: z.string().openapi({ description: "The client's person id (their name and contacts: GET /clients/{id} with people:read).", example: EXAMPLE.clientId }),
    start: z.string().openapi({ description: "Start, ISO 8601 in UTC.", example: "2026-12-07T07:00:00.000Z" }),
    end: z.string().openapi({ description: "End, ISO 8601 in UTC (start + the service's duration; buffers not included).", example: "2026-12-07T07:50:00.000Z" }),
    timeZone: z.string().openapi({ description: "The specialist's time zone (IANA), in which they keep their hours: show times in it, or in the client's own.", example: "Europe/Moscow" }),
    status: z.enum(STATUSES).openapi({ description: "`booked` (to come, or under way), `completed` (held: the call was ended), `cancelled`, `no-show` (the client did not come)." }),
    seriesId: z.string().nullable().openapi({ description: "Shared by the sessions of a weekly series booked together; null for a single booking." }),
    service: z.object({ id: z.string(), name: z.object({ en: z.string(), ru: z.string() }), mode: z.enum(["online", "in-person"]), durationMinutes: z.number().int() }).openapi({
      example: { id: EXAMPLE.serviceId, name: { en: "Initial consultation", ru: "Первичная консультация" }, mode: "online", durationMinutes: 50 },
    }),
    roomId: z.string().nullable().openapi({ description: "The consultation room, once opened (the first Join opens it); null before, and for in-person services." }),
    joinPath: z.string().nullable().openapi({ description: "For online services: the appointment's page on this installation (relative to its address), where the client and the specialist press Join. Null for in-person services.", example: `/appointments/${EXAMPLE.appointmentId}` }),
    revision: z.number().int().openapi({ description: "Grows with every move and the cancellation (the calendar event's SEQUENCE): compare to notice a change.", example: 0 }),
    createdAt: z.string().openapi({ description: "When it was booked, ISO 8601 in UTC.", example: "2026-12-01T09:12:44.000Z" }),
    createdBy: z.string().openapi({ description: "The person id of whoever booked it (the client, or staff on their behalf)." }),
    payment: z
      .object({
        id: z.string(),
        status: z.enum(["pending", "paid", "failed", "expired", "refunded", "cancelled"]).openapi({ description: "`pending`: waiting for the client to pay (for a payment at booking, the time is reserved until `expiresAt` and then the booking is cancelled); `paid` (`refundedMinor` > 0 if part was refunded); `failed`, `expired` (replaced by a fresh pending payment while paying is still possible); `refunded` in full; `cancelled` (the booking was cancelled first)." }),
        kind: z.enum(["at-booking", "after"]),
        amountMinor: z.number().int().openapi({ description: "In minor units; a weekly series paid at once: the whole series, on its first session." }),
        currency: z.string(),
        refundedMinor: z.number().int(),
        expiresAt: z.string().nullable().openapi({ description: "For a payment at booking: when the reserved time is released if still unpaid (ISO 8601 UTC)." }),
      })
      .nullable()
      .openapi({ description: "The appointment's online payment (docs/payments.md), or null when none was asked (the service is not paid online, or it was booked by staff)." }),
  })
  .openapi("Appointment", { description: "An appointment: who (by id), when, what, and its state. Names and contacts are not included." });

export type AppointmentJson = z.infer<typeof AppointmentSchema>;

/** The zone each appointment is shown in: its specialist's (their hours' zone), else the organisation's. */
export function zoneOf(db: Queryable, specialistId: string, cache = new Map<string, string>()): string {
  let zone = cache.get(specialistId);
  if (zone === undefined) {
    zone = getAvailability(db, specialistId)?.timeZone ?? getSettings(db)?.timeZone ?? "UTC";
    cache.set(specialistId, zone);
  }
  return zone;
}

export function appointmentJson(a: Appointment, service: Service | null, timeZone: string, payment: Payment | null = null): AppointmentJson {
  return {
    id: a.id,
    serviceId: a.serviceId,
    specialistId: a.specialistId,
    clientId: a.clientId,
    start: iso(a.start),
    end: iso(a.end),
    timeZone,
    status: a.status,
    seriesId: a.seriesId,
    service: { id: a.serviceId, name: service?.name ?? { en: "", ru: "" }, mode: service?.mode ?? "online", durationMinutes: service?.durationMinutes ?? Math.round((a.end - a.start) / 60_000) },
    roomId: a.roomId,
    joinPath: service?.mode === "online" ? `/appointments/${a.id}` : null,
    revision: a.revision,
    createdAt: iso(a.createdAt),
    createdBy: a.createdBy,
    payment: payment
      ? { id: payment.id, status: payment.status, kind: payment.kind, amountMinor: payment.amountMinor, currency: payment.currency, refundedMinor: payment.refundedMinor, expiresAt: payment.expiresAt === null ? null : iso(payment.expiresAt) }
      : null,
  };
}
