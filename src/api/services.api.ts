// /api/v1/services: what clients can book, as the booking pages show it (scope appointments:read).
import { z } from "@hono/zod-openapi";
import { getService, listServices, type Service } from "../booking/services.ts";
import { AppError } from "../http/app-error.ts";
import type { Installation } from "../installation.ts";
import type { Api } from "./api.ts";
import { cursorKey, paginate } from "./pagination.ts";
import { apiRoute, NOT_FOUND, PageQuery, pageOf } from "./route.ts";
import { EXAMPLE } from "./examples.ts";

const Text = z.object({ en: z.string(), ru: z.string() });

export const ServiceSchema = z
  .object({
    id: z.string().openapi({ example: EXAMPLE.serviceId }),
    name: Text.openapi({ example: { en: "Initial consultation", ru: "Первичная консультация" } }),
    description: Text,
    durationMinutes: z.number().int().openapi({ example: 50 }),
    bufferBeforeMinutes: z.number().int(),
    bufferAfterMinutes: z.number().int(),
    mode: z.enum(["online", "in-person"]),
    price: z.object({ minor: z.number().int().openapi({ description: "In minor units (cents, kopecks)." }), currency: z.string().openapi({ example: "EUR" }) }).nullable(),
    cancelHours: z.number().int().openapi({ description: "Clients may cancel or move until this many hours before the start." }),
    paymentMode: z.enum(["none", "at-booking", "after"]).openapi({ description: "Paid online: not at all, when booking (the time is held until paid), or after the consultation by a link." }),
    active: z.boolean(),
    specialistIds: z.array(z.string()),
  })
  .openapi("Service");

export function serviceJson(s: Service): z.infer<typeof ServiceSchema> {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    durationMinutes: s.durationMinutes,
    bufferBeforeMinutes: s.bufferBeforeMinutes,
    bufferAfterMinutes: s.bufferAfterMinutes,
    mode: s.mode,
    price: s.price,
    cancelHours: s.cancelHours,
    paymentMode: s.paymentMode,
    active: s.active,
    specialistIds: s.specialistIds,
  };
}


const list = apiRoute("appointments:read", {
  method: "get",
  path: "/services",
  operationId: "listServices",
  tags: ["Services"],
  summary: "List services",
  request: { query: PageQuery },
  responses: { 200: { description: "Services, ordered by id.", content: { "application/json": { schema: pageOf(ServiceSchema, "ServicePage") } } } },
});

const one = apiRoute("appointments:read", {
  method: "get",
  path: "/services/{id}",
  operationId: "getService",
  tags: ["Services"],
  summary: "Read a service",
  request: { params: z.object({ id: z.string().max(100).openapi({ description: "The service's id (from GET /services).", example: EXAMPLE.serviceId }) }) },
  responses: { 200: { description: "The service.", content: { "application/json": { schema: ServiceSchema } } }, ...NOT_FOUND },
});

export function servicesApi(api: Api, deps: Installation): void {
  api.openapi(list, (c) => {
    const q = c.req.valid("query");
    const all = listServices(deps.db).sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = paginate(all, (s) => [s.id], q.limit, cursorKey(q.cursor, ["string"]));
    return c.json({ items: page.items.map(serviceJson), next: page.next }, 200);
  });
  api.openapi(one, (c) => {
    const s = getService(deps.db, c.req.valid("param").id);
    if (!s) throw new AppError(404, "No service with this id.");
    return c.json(serviceJson(s), 200);
  });
}
