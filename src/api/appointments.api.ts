// /api/v1/appointments: reading appointments (scope appointments:read). A token sees what its owner sees in the web
// UI: a specialist their own appointments, admins and staff everyone's; one it may not see is a 404, as if it did
// not exist. Every read is audited under the token owner with the token's name, since an appointment says who
// consulted whom and when (personal data, often health data): one entry per request, so the who-read report
// (src/accountability/reads.ts) lists an appointment opened by id, and a client whose appointments were listed.
import { paymentOfAppointment } from "../payments/payments.ts";
import { z } from "@hono/zod-openapi";
import { getAppointment, listAppointments, mayView } from "../booking/appointments.ts";
import { getService, type Service } from "../booking/services.ts";
import { AppError } from "../http/app-error.ts";
import type { Installation } from "../installation.ts";
import type { Api } from "./api.ts";
import { APPOINTMENT_WINDOW_DAYS, appointmentJson, AppointmentSchema, ETAG, AppointmentIdParam, NOT_MODIFIED, STATUSES, windowQuery, zoneOf } from "./appointments.schema.ts";
import { actorOf } from "./auth.ts";
import { cursorKey, paginate } from "./pagination.ts";
import { apiRoute, NOT_FOUND, PageQuery, pageOf } from "./route.ts";
import { auditApiRead } from "./read-audit.ts";

const ListQuery = windowQuery(
  APPOINTMENT_WINDOW_DAYS,
  {
    specialistId: z.string().min(1).max(100).optional().openapi({ description: "Only this specialist's appointments. A specialist's token sees only their own." }),
    clientId: z.string().min(1).max(100).optional().openapi({ description: "Only this client's appointments." }),
    status: z.enum(STATUSES).optional().openapi({ description: "Only appointments in this state." }),
    ...PageQuery.shape,
  },
  "Appointments that overlap the window are listed, ordered by start (then id).",
);

const list = apiRoute("appointments:read", {
  method: "get",
  path: "/appointments",
  operationId: "listAppointments",
  tags: ["Appointments"],
  summary: "List appointments in a window",
  description: `Appointments overlapping [from, to) (at most ${APPOINTMENT_WINDOW_DAYS} days), ordered by start and id, a page at a time: pass \`next\` as \`cursor\` for the following page (a page never repeats or skips an appointment). Admins' and staff's tokens see every specialist's appointments; a specialist's token only their own (with another specialist's id the list is empty). Each request is recorded in the audit log under the token's owner and name.`,
  request: { query: ListQuery },
  responses: { 200: { description: "A page of appointments.", headers: ETAG, content: { "application/json": { schema: pageOf(AppointmentSchema, "AppointmentPage") } } }, ...NOT_MODIFIED },
});

const one = apiRoute("appointments:read", {
  method: "get",
  path: "/appointments/{id}",
  operationId: "getAppointment",
  tags: ["Appointments"],
  summary: "Read an appointment",
  description: "One appointment. Send `If-None-Match` with the `ETag` of an earlier answer to get 304 when nothing changed. Recorded in the audit log under the token's owner and name.",
  request: { params: AppointmentIdParam },
  responses: {
    200: { description: "The appointment.", headers: ETAG, content: { "application/json": { schema: AppointmentSchema } } },
    ...NOT_MODIFIED,
    ...NOT_FOUND,
  },
});

export function appointmentsApi(api: Api, deps: Installation): void {
  api.openapi(list, (c) => {
    const q = c.req.valid("query");
    const actor = actorOf(c);
    const after = cursorKey(q.cursor, ["number", "string"]);
    // What the schedule shows them: a specialist their own, everyone else (admins, staff) every specialist's.
    const own = actor.role === "specialist";
    const specialistIds = own ? [actor.personId] : q.specialistId ? [q.specialistId] : undefined;
    const all =
      own && q.specialistId !== undefined && q.specialistId !== actor.personId
        ? []
        : listAppointments(deps.db, { specialistIds, clientId: q.clientId, from: Date.parse(q.from), to: Date.parse(q.to) })
            .filter((a) => (q.status === undefined || a.status === q.status) && mayView(a, actor))
            .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = paginate(all, (a) => [a.start, a.id], q.limit, after);
    // One client's appointments shown are a read of that client (the who-read report); a calendar is many clients at
    // once. A client filter that showed nothing read nothing of the client: it is kept as an empty list that does not
    // name them (the id may be a guess, or a client the token's owner may not see).
    auditApiRead(
      deps,
      c,
      q.clientId && page.items.length > 0
        ? { action: "client-appointments.view", target: q.clientId, details: { count: page.items.length } }
        : { action: "appointments.list", details: { count: page.items.length, specialist: q.specialistId ?? null, ...(q.clientId ? { byClient: true } : {}) } },
    );
    const services = new Map<string, Service | null>();
    const zones = new Map<string, string>();
    const items = page.items.map((a) => {
      if (!services.has(a.serviceId)) services.set(a.serviceId, getService(deps.db, a.serviceId));
      return appointmentJson(a, services.get(a.serviceId)!, zoneOf(deps.db, a.specialistId, zones), paymentOfAppointment(deps.db, a.id));
    });
    return c.json({ items, next: page.next }, 200);
  });

  api.openapi(one, (c) => {
    const a = getAppointment(deps.db, c.req.valid("param").id);
    if (!a || !mayView(a, actorOf(c))) throw new AppError(404, "No appointment with this id that this token's owner may see.");
    auditApiRead(deps, c, { action: "appointment.view", target: a.id, details: { via: "api" } });
    return c.json(appointmentJson(a, getService(deps.db, a.serviceId), zoneOf(deps.db, a.specialistId), paymentOfAppointment(deps.db, a.id)), 200);
  });
}
