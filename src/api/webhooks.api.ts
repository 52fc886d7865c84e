// /api/v1/webhooks: webhook endpoints and their delivery logs for integrations (scope webhooks:manage, admins only).
// The same service as the admin pages (src/webhooks/): the SSRF guard on every URL, the secret shown once (at
// creation and rotation), every change audited with the token owner as actor. Payloads are never returned.
import { z } from "@hono/zod-openapi";
import { AppError } from "../http/app-error.ts";
import type { Installation } from "../installation.ts";
import { type WebhookAttempt, listAttempts, listDeliveries, replayDelivery, type WebhookDelivery } from "../webhooks/deliveries.ts";
import { createEndpoint, deleteEndpoint, type EndpointProblem, getEndpoint, listEndpoints, MAX_ENDPOINTS, rotateSecret, sendTestEvent, updateEndpoint, type WebhookEndpoint } from "../webhooks/endpoints.ts";
import { WEBHOOK_EVENTS } from "../webhooks/events.ts";
import { describeUrlProblem, URL_MAX } from "../webhooks/guard.ts";
import type { Api } from "./api.ts";
import { actorOf } from "./auth.ts";
import { keepForRetry, retryOf } from "./idempotency.ts";
import { cursorKey, paginate } from "./pagination.ts";
import { apiRoute, CONFLICT, IdempotencyHeader, NOT_FOUND, PageQuery, pageOf, UNPROCESSABLE } from "./route.ts";
import { EXAMPLE } from "./examples.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Time = z.string().openapi({ format: "date-time", example: "2025-03-01T09:30:00.000Z" });
const EventName = z.enum(WEBHOOK_EVENTS).openapi({ description: "An event type (docs/webhooks.md lists their payloads)." });

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: EXAMPLE.webhookId }),
    url: z.string().openapi({ example: EXAMPLE.webhookUrl }),
    events: z.array(EventName),
    personalData: z.boolean().openapi({ description: "Whether payloads name the client (name and email); otherwise ids and times only." }),
    internalHost: z.string().nullable().openapi({ description: "The host on the organisation's own network this endpoint may reach (the web page's *Allowed internal host*): exactly the host of `url`, without port. Null: public addresses only.", example: null }),
    enabled: z.boolean(),
    disabledAt: Time.nullable(),
    disabledReason: z.string().nullable().openapi({ example: "the receiver answered 410 Gone on 2025-03-01T09:30:00.000Z" }),
    createdAt: Time,
  })
  .openapi("WebhookEndpoint");

const WithSecret = z
  .object({
    endpoint: WebhookEndpointSchema,
    secret: z.string().nullable().openapi({
      description: "The signing secret (Standard Webhooks, `whsec_…`). Shown only in this answer: null in the answer to a retry under the same Idempotency-Key (`Idempotent-Replayed: true`), since the secret is never kept.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
    note: z.string().optional().openapi({ description: "Only in a retry's answer: that the secret was shown once, and how to get a new one." }),
  })
  .openapi("WebhookEndpointWithSecret");

/** What a retry of a create or rotation says instead of the secret. */
const secretShownOnce = (id: string) =>
  `The signing secret was shown once, in the answer to the first request with this Idempotency-Key, and is not kept. If it was lost, POST /api/v1/webhooks/${id}/rotate-secret for a new one (the old one stops working at once).`;

const AttemptSchema = z.object({ at: Time, status: z.number().int().nullable().openapi({ description: "The receiver's HTTP status; null when none came." }), error: z.string().nullable(), ms: z.number().int() });

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ description: "The message id, sent as `webhook-id`: the same on every retry and replay.", example: EXAMPLE.deliveryId }),
    eventType: z.string().openapi({ example: "appointment.booked" }),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.array(AttemptSchema),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: Time,
    deliveredAt: Time.nullable(),
    personal: z.boolean().openapi({ description: "The payload names the client (sealed under their key; erasing the client makes it unreadable)." }),
  })
  .openapi("WebhookDelivery");

const UrlField = z
  .string()
  .min(1)
  .max(URL_MAX)
  .openapi({
    description: "Where Kabinet POSTs the events: http(s), no user or password in it. It must resolve only to public addresses, unless `internalHost` names its host (docs/webhooks.md: which addresses Kabinet sends to).",
    example: EXAMPLE.webhookUrl,
  });
const EventsField = z
  .array(EventName)
  .min(1)
  .openapi({ description: "The events to send (at least one); the webhooks guide shows each one's payload.", example: ["appointment.booked", "appointment.moved", "appointment.cancelled"] });
const PersonalDataField = z.boolean().openapi({ description: "Whether payloads name the client (name and email). Off: ids and times only; the receiver reads names with GET /clients/{id}.", example: false });
const InternalHostField = z
  .string()
  .max(253)
  .nullable()
  .openapi({
    description:
      "For a receiver on the organisation's own network (the web page's *Allowed internal host*): exactly the host of `url`, without scheme or port, e.g. `crm.clinic.lan` for `https://crm.clinic.lan:8443/kabinet/hooks`, or its IP. That host may then resolve to private, loopback, link-local or unique-local addresses (metadata and reserved addresses stay refused); any other host in `url` is refused. Null: public addresses only.",
    example: EXAMPLE.internalHost,
  });

const EndpointInput = z
  .object({
    url: UrlField,
    events: EventsField,
    personalData: PersonalDataField.default(false),
    internalHost: InternalHostField.default(null),
  })
  .openapi("WebhookEndpointInput", {
    description: "A new endpoint. For a receiver on the organisation's network: `{\"url\": \"https://crm.clinic.lan:8443/kabinet/hooks\", \"internalHost\": \"crm.clinic.lan\", …}`.",
    example: { url: EXAMPLE.webhookUrl, events: ["appointment.booked", "appointment.moved", "appointment.cancelled"], personalData: false, internalHost: null },
  });

const EndpointChange = z
  .object({
    url: UrlField.optional(),
    events: EventsField.optional(),
    personalData: PersonalDataField.optional(),
    internalHost: InternalHostField.optional().openapi({ description: "As in WebhookEndpointInput; null removes the allowance. Changing `url` to another host on the organisation's network needs this changed too." }),
    enabled: z.boolean().optional().openapi({ description: "Enable a disabled endpoint again (e.g. after it answered 410), or disable it.", example: true }),
  })
  .openapi("WebhookEndpointChange", {
    description: "Only the fields to change; the others stay as they are.",
    example: { events: ["appointment.booked", "appointment.cancelled"], enabled: true },
  });

const IdParam = z.object({ id: z.string().max(100).openapi({ description: "The endpoint's id (`whe_…`), from GET /webhooks or POST /webhooks.", example: EXAMPLE.webhookId }) });
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const tags = ["Webhooks"];

const list = apiRoute("webhooks:manage", { method: "get", path: "/webhooks", operationId: "listWebhookEndpoints", tags, summary: "List webhook endpoints", request: { query: PageQuery }, responses: { 200: json(pageOf(WebhookEndpointSchema, "WebhookEndpointPage"), "Endpoints, oldest first.") } });
const create = apiRoute("webhooks:manage", {
  method: "post",
  path: "/webhooks",
  operationId: "createWebhookEndpoint",
  tags,
  summary: "Add a webhook endpoint",
  description: "The URL must be http(s) and resolve only to public addresses, unless `internalHost` names its host exactly (private, loopback and link-local addresses are then allowed; metadata addresses never). The signing secret is in this answer only.",
  request: { headers: IdempotencyHeader, body: { content: { "application/json": { schema: EndpointInput } }, required: true } },
  responses: { 201: json(WithSecret, "The endpoint and its signing secret."), ...UNPROCESSABLE },
});
const one = apiRoute("webhooks:manage", { method: "get", path: "/webhooks/{id}", operationId: "getWebhookEndpoint", tags, summary: "Read a webhook endpoint", request: { params: IdParam }, responses: { 200: json(WebhookEndpointSchema, "The endpoint."), ...NOT_FOUND } });
const update = apiRoute("webhooks:manage", {
  method: "patch",
  path: "/webhooks/{id}",
  operationId: "updateWebhookEndpoint",
  tags,
  summary: "Change a webhook endpoint",
  request: { params: IdParam, body: { content: { "application/json": { schema: EndpointChange } }, required: true } },
  responses: { 200: json(WebhookEndpointSchema, "The changed endpoint."), ...NOT_FOUND, ...UNPROCESSABLE },
});
const remove = apiRoute("webhooks:manage", { method: "delete", path: "/webhooks/{id}", operationId: "deleteWebhookEndpoint", tags, summary: "Delete a webhook endpoint and its delivery log", request: { params: IdParam }, responses: { 204: { description: "Deleted." }, ...NOT_FOUND } });
const rotate = apiRoute("webhooks:manage", {
  method: "post",
  path: "/webhooks/{id}/rotate-secret",
  operationId: "rotateWebhookSecret",
  tags,
  summary: "Replace the signing secret (in force at once)",
  request: { params: IdParam, headers: IdempotencyHeader },
  responses: { 200: json(WithSecret, "The endpoint and its new signing secret."), ...NOT_FOUND },
});
const sendTest = apiRoute("webhooks:manage", {
  method: "post",
  path: "/webhooks/{id}/test",
  operationId: "sendWebhookTest",
  tags,
  summary: "Queue a `webhook.test` event to this endpoint",
  request: { params: IdParam, headers: IdempotencyHeader },
  responses: { 202: json(z.object({ deliveryId: z.string() }), "Queued; its outcome appears in the delivery log."), ...NOT_FOUND, ...CONFLICT },
});
const deliveries = apiRoute("webhooks:manage", {
  method: "get",
  path: "/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags,
  summary: "The delivery log of an endpoint (30 days), newest first",
  request: { params: IdParam, query: PageQuery },
  responses: { 200: json(pageOf(WebhookDeliverySchema, "WebhookDeliveryPage"), "Deliveries with every attempt's status code."), ...NOT_FOUND },
});
const replay = apiRoute("webhooks:manage", {
  method: "post",
  path: "/webhooks/{id}/deliveries/{deliveryId}/replay",
  operationId: "replayWebhookDelivery",
  tags,
  summary: "Send a logged delivery again (same message id and payload)",
  request: { params: IdParam.extend({ deliveryId: z.string().max(100).openapi({ description: "The delivery's id (`msg_…`, also its webhook-id header), from GET /webhooks/{id}/deliveries.", example: EXAMPLE.deliveryId }) }), headers: IdempotencyHeader },
  responses: { 202: json(WebhookDeliverySchema, "Queued again."), ...NOT_FOUND, ...CONFLICT },
});

export function webhooksApi(api: Api, deps: Installation): void {
  const endpointOr404 = (id: string): WebhookEndpoint => {
    const e = getEndpoint(deps, id);
    if (!e) throw new AppError(404, "No webhook endpoint with this id.");
    return e;
  };

  api.openapi(list, (c) => {
    const q = c.req.valid("query");
    const page = paginate(listEndpoints(deps), (e) => [e.createdAt, e.id], q.limit, cursorKey(q.cursor, ["number", "string"]));
    return c.json({ items: page.items.map(endpointJson), next: page.next }, 200);
  });
  api.openapi(create, async (c) => {
    const retry = retryOf(c);
    if (retry) {
      const id = String(retry.endpointId);
      return c.json({ endpoint: endpointJson(endpointOr404(id)), secret: null, note: secretShownOnce(id) }, 201);
    }
    const made = await createEndpoint(deps, c.req.valid("json"), actorOf(c).personId);
    if (!made.ok) throw refusal(made);
    keepForRetry(c, { kind: "reread", facts: { endpointId: made.endpoint.id } });
    return c.json({ endpoint: endpointJson(made.endpoint), secret: made.secret }, 201);
  });
  api.openapi(one, (c) => c.json(endpointJson(endpointOr404(c.req.valid("param").id)), 200));
  api.openapi(update, async (c) => {
    const changed = await updateEndpoint(deps, c.req.valid("param").id, c.req.valid("json"), actorOf(c).personId);
    if (!changed.ok && changed.reason === "not-found") throw new AppError(404, "No webhook endpoint with this id.");
    if (!changed.ok) throw refusal(changed);
    return c.json(endpointJson(changed.endpoint), 200);
  });
  api.openapi(remove, (c) => {
    if (!deleteEndpoint(deps, c.req.valid("param").id, actorOf(c).personId)) throw new AppError(404, "No webhook endpoint with this id.");
    return c.body(null, 204);
  });
  api.openapi(rotate, (c) => {
    const id = c.req.valid("param").id;
    if (retryOf(c)) return c.json({ endpoint: endpointJson(endpointOr404(id)), secret: null, note: secretShownOnce(id) }, 200);
    const secret = rotateSecret(deps, id, actorOf(c).personId);
    keepForRetry(c, { kind: "reread", facts: {} });
    if (!secret) throw new AppError(404, "No webhook endpoint with this id.");
    return c.json({ endpoint: endpointJson(endpointOr404(id)), secret }, 200);
  });
  api.openapi(sendTest, (c) => {
    const sent = sendTestEvent(deps, c.req.valid("param").id, actorOf(c).personId);
    if (!sent.ok) throw sent.reason === "not-found" ? new AppError(404, "No webhook endpoint with this id.") : new AppError(409, "The endpoint is disabled: enable it first (PATCH with `enabled: true`).");
    keepForRetry(c, { kind: "body" }); // a delivery's id: nothing personal, no secret
    return c.json({ deliveryId: sent.deliveryId }, 202);
  });
  api.openapi(deliveries, (c) => {
    const id = endpointOr404(c.req.valid("param").id).id;
    const q = c.req.valid("query");
    const all = listDeliveries(deps.db, id, 100_000).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
    const page = paginate(all, (d) => [-d.createdAt, d.id], q.limit, cursorKey(q.cursor, ["number", "string"]));
    return c.json({ items: page.items.map((d) => deliveryJson(d, listAttempts(deps.db, d.id))), next: page.next }, 200);
  });
  api.openapi(replay, (c) => {
    const { id, deliveryId } = c.req.valid("param");
    const replayed = replayDelivery(deps, id, deliveryId, actorOf(c).personId);
    keepForRetry(c, { kind: "body" }); // the delivery's state and the receivers' statuses, never the payload
    if (replayed.ok) return c.json(deliveryJson(replayed.delivery, listAttempts(deps.db, deliveryId)), 202);
    if (replayed.reason === "not-found") throw new AppError(404, "No such delivery of this webhook endpoint (deliveries are kept 30 days).");
    throw new AppError(409, replayed.reason === "pending" ? "This delivery is still being tried; replay it once it has ended." : "The endpoint is disabled: enable it first (PATCH with `enabled: true`).");
  });
}

function refusal(p: EndpointProblem): AppError {
  switch (p.reason) {
    case "url":
      return new AppError(422, describeUrlProblem(p.problem));
    case "events":
      return new AppError(422, "Subscribe to at least one known event.");
    case "internal-host":
      return new AppError(422, "internalHost must be a host name or IP address, without a scheme or port.");
    case "too-many":
      return new AppError(422, `At most ${MAX_ENDPOINTS} webhook endpoints.`);
  }
}

function endpointJson(e: WebhookEndpoint): z.infer<typeof WebhookEndpointSchema> {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    personalData: e.personalData,
    internalHost: e.internalHost,
    enabled: e.enabled,
    disabledAt: iso(e.disabledAt),
    disabledReason: e.disabledReason,
    createdAt: iso(e.createdAt)!,
  };
}

function deliveryJson(d: WebhookDelivery, attempts: WebhookAttempt[]): z.infer<typeof WebhookDeliverySchema> {
  return {
    id: d.id,
    eventType: d.eventType,
    status: d.status,
    attempts: attempts.map((a) => ({ at: iso(a.at)!, status: a.status, error: a.error, ms: a.ms })),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: iso(d.createdAt)!,
    deliveredAt: iso(d.deliveredAt),
    personal: d.personal,
  };
}
