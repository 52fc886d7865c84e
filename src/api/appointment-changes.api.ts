// /api/v1/appointments writes (scope appointments:write): book, move, cancel, mark a no-show. Each goes through the
// booking service, which checks the slot in one write-locked transaction, audits the change and queues the mails, as
// the web pages do; the rules are the web's for the token owner's role. Every refusal of the service becomes a
// problem that says what to do: 404 (no appointment the owner may see), 409 (the time or the appointment's state
// no longer allows it: look again), 422 (it cannot be done for this client or service as asked).
import { paymentOfAppointment } from "../payments/payments.ts";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { book, cancelAppointment, type ChangeResult, getAppointment, markNoShow, mayView, rescheduleAppointment } from "../booking/appointments.ts";
import { chooseClient } from "../booking/clients.ts";
import { getService } from "../booking/services.ts";
import { bookingAllowed } from "../consent/ledger.ts";
import { AppError } from "../http/app-error.ts";
import type { Installation } from "../installation.ts";
import type { Api } from "./api.ts";
import { appointmentJson, AppointmentSchema, AppointmentIdParam, Instant, zoneOf } from "./appointments.schema.ts";
import { actorOf, type ApiEnv } from "./auth.ts";
import { keepForRetry, type RetryFacts, retryOf } from "./idempotency.ts";
import { auditApiRead } from "./read-audit.ts";
import { apiRoute, CONFLICT, IdempotencyHeader, NOT_FOUND, UNPROCESSABLE } from "./route.ts";
import { EXAMPLE } from "./examples.ts";

const TAKEN = "That time is not free for this specialist: it was taken, lies outside their working hours or horizon, or has passed. Choose another from GET /slots.";

const BookBody = z
  .object({
    serviceId: z.string().min(1).max(100).openapi({ example: EXAMPLE.serviceId }),
    specialistId: z.string().min(1).max(100).openapi({ description: "A specialist who offers the service, or `any`: the first of its specialists free at that time.", example: EXAMPLE.specialistId }),
    start: Instant.openapi({ description: "A `start` from GET /slots.", example: "2026-12-07T07:00:00Z" }),
    clientId: z.string().min(1).max(100).openapi({
      description: "Who the appointment is for: a client's person id. Admins' and staff's tokens may book any active client; a specialist's token the clients they have had appointments with.",
      example: EXAMPLE.clientId,
    }),
  })
  .openapi("BookingRequest", { example: { serviceId: EXAMPLE.serviceId, specialistId: EXAMPLE.specialistId, start: "2026-12-07T07:00:00Z", clientId: EXAMPLE.clientId } });

const MoveBody = z.object({ start: Instant.openapi({ description: "The new start: a `start` from GET /slots (of the same service and specialist).", example: "2026-12-08T11:00:00Z" }) }).openapi("MoveRequest", { example: { start: "2026-12-08T11:00:00Z" } });

const CancelBody = z
  .object({ reason: z.string().min(1).max(2000).regex(/\S/, "Say why it is cancelled.").openapi({ description: "Why: sent to the client in the cancellation mail, and kept sealed with the appointment.", example: "The specialist is ill." }) })
  .openapi("CancelRequest", { example: { reason: "The specialist is ill." } });

const json = (schema: z.ZodTypeAny, description: string) => ({ description, content: { "application/json": { schema } } });
const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({ required: true, content: { "application/json": { schema } } });

const bookRoute = apiRoute("appointments:write", {
  method: "post",
  path: "/appointments",
  operationId: "bookAppointment",
  tags: ["Appointments"],
  summary: "Book an appointment",
  description:
    "Books a free time (from GET /slots) for a client. The time is checked again at booking, so of two requests for one time exactly one succeeds; the other gets 409. The client is mailed a confirmation and reminders, as for a booking on the web. Send an `Idempotency-Key` so that a retry after a lost answer does not book twice.",
  request: { headers: IdempotencyHeader, body: jsonBody(BookBody) },
  responses: {
    201: { ...json(AppointmentSchema, "Booked. `Location` is the appointment's address in this API."), headers: { Location: { description: "/api/v1/appointments/{id}", schema: { type: "string" } } } },
    ...CONFLICT,
    ...UNPROCESSABLE,
  },
});

const CHANGE = {
  method: "post" as const,
  tags: ["Appointments"],
  responses: { 200: json(AppointmentSchema, "The appointment as it is now."), ...NOT_FOUND, ...CONFLICT, ...UNPROCESSABLE },
};

const moveRoute = apiRoute("appointments:write", {
  ...CHANGE,
  path: "/appointments/{id}/move",
  operationId: "moveAppointment",
  summary: "Move an appointment to another time",
  description: "Moves a booked appointment that has not started to a free time of the same specialist (its own current time counts as free). The client, and the specialist unless they moved it, are mailed. Moving to the time it already has changes nothing.",
  request: { params: AppointmentIdParam, headers: IdempotencyHeader, body: jsonBody(MoveBody) },
});

const cancelRoute = apiRoute("appointments:write", {
  ...CHANGE,
  path: "/appointments/{id}/cancel",
  operationId: "cancelAppointment",
  summary: "Cancel an appointment",
  description: "Cancels a booked appointment that has not started; its time becomes free. The client, and the specialist unless they cancelled it, are mailed with the reason.",
  request: { params: AppointmentIdParam, headers: IdempotencyHeader, body: jsonBody(CancelBody) },
});

const noShowRoute = apiRoute("appointments:write", {
  ...CHANGE,
  path: "/appointments/{id}/no-show",
  operationId: "markAppointmentNoShow",
  summary: "Record that the client did not come",
  description: "Marks a booked appointment as a no-show, once its start has passed. No body.",
  request: { params: AppointmentIdParam, headers: IdempotencyHeader },
});

/** The problem for a refusal of a change: what happened and what to do. */
function changeRefused(reason: Exclude<ChangeResult, { ok: true }>["reason"]): AppError {
  switch (reason) {
    case "not-found":
      return new AppError(404, "No appointment with this id that this token's owner may see.");
    case "window":
      return new AppError(409, "The appointment has started (or ended), so it can no longer be changed this way. GET it to see its state.");
    case "state":
      return new AppError(409, "The appointment is no longer booked (it was cancelled, held, marked a no-show, or changed meanwhile). GET it to see its state.");
    case "taken":
      return new AppError(409, TAKEN);
    case "too-early":
      return new AppError(409, "The appointment has not started yet: a no-show can be recorded once its start time has passed.");
    case "reason-required":
      return new AppError(422, "Say why it is cancelled: `reason` is sent to the client.");
    case "restricted":
      return new AppError(422, "Processing of this client's data is restricted (GDPR art. 18): it cannot be moved or booked now; it can still be cancelled. An admin can lift the restriction.");
  }
}

export function appointmentChangesApi(api: Api, deps: Installation): void {
  /** The changed appointment; a retry under the same Idempotency-Key reads it again (nothing personal is kept). */
  const answer = (c: Context<ApiEnv>, result: ChangeResult) => {
    if (!result.ok) throw changeRefused(result.reason);
    const a = result.appointment;
    keepForRetry(c, { kind: "reread", facts: { appointmentId: a.id } });
    return appointmentJson(a, getService(deps.db, a.serviceId), zoneOf(deps.db, a.specialistId), paymentOfAppointment(deps.db, a.id));
  };
  /** A retry of a change already made: the appointment as it is now, read and audited as GET /appointments/{id}. */
  const reread = (c: Context<ApiEnv>, facts: RetryFacts) => {
    const a = getAppointment(deps.db, String(facts.appointmentId));
    if (!a || !mayView(a, actorOf(c))) throw new AppError(404, "The first request with this Idempotency-Key was done, but its appointment is no longer one this token's owner may see.");
    auditApiRead(deps, c, { action: "appointment.view", target: a.id, details: { via: "api", retry: true } });
    return appointmentJson(a, getService(deps.db, a.serviceId), zoneOf(deps.db, a.specialistId), paymentOfAppointment(deps.db, a.id));
  };

  api.openapi(bookRoute, (c) => {
    const retry = retryOf(c);
    if (retry) {
      const again = reread(c, retry);
      c.header("location", `/api/v1/appointments/${again.id}`);
      return c.json(again, 201);
    }
    const body = c.req.valid("json");
    const actor = actorOf(c);
    const service = getService(deps.db, body.serviceId);
    if (!service?.active) throw new AppError(422, "No bookable service with this serviceId: GET /services lists them.");
    if (body.specialistId !== "any" && !service.specialistIds.includes(body.specialistId)) {
      throw new AppError(422, "This specialist does not offer this service: use one of the service's specialistIds, or `any`.");
    }
    const client = chooseClient(deps, actor, { client: body.clientId, clientEmail: "" });
    if (!client) {
      throw new AppError(422, "clientId names no client this token's owner may book for: admins and staff may book any active client; a specialist the clients they have had appointments with (someone new to them: book on the web, by their exact email).");
    }
    if (!bookingAllowed(deps.db, client.id)) throw new AppError(422, "The client has withdrawn their consent to the processing of their data: nothing new can be booked for them unless they give it again.");
    const result = book(deps, { serviceId: service.id, specialistId: body.specialistId, start: Date.parse(body.start), clientId: client.id, actor }, deps.clock.now());
    if (!result.ok) {
      if (result.reason === "taken") throw new AppError(409, TAKEN);
      if (result.reason === "restricted") throw changeRefused("restricted");
      throw new AppError(422, "This service cannot be booked with this specialist now: GET /services shows what is offered.");
    }
    const a = result.appointments[0]!;
    keepForRetry(c, { kind: "reread", facts: { appointmentId: a.id } });
    c.header("location", `/api/v1/appointments/${a.id}`);
    return c.json(appointmentJson(a, service, zoneOf(deps.db, a.specialistId), paymentOfAppointment(deps.db, a.id)), 201);
  });

  // A retry of a move, cancel or no-show answers with the appointment as it is now, without changing it again.
  const retried = (c: Context<ApiEnv>) => {
    const retry = retryOf(c);
    return retry ? reread(c, retry) : null;
  };
  api.openapi(moveRoute, (c) => c.json(retried(c) ?? answer(c, rescheduleAppointment(deps, c.req.valid("param").id, actorOf(c), Date.parse(c.req.valid("json").start), deps.clock.now())), 200));

  api.openapi(cancelRoute, (c) => c.json(retried(c) ?? answer(c, cancelAppointment(deps, c.req.valid("param").id, actorOf(c), c.req.valid("json").reason, deps.clock.now())), 200));

  api.openapi(noShowRoute, (c) => c.json(retried(c) ?? answer(c, markNoShow(deps, c.req.valid("param").id, actorOf(c), deps.clock.now())), 200));
}
