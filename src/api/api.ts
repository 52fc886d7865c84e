// The REST API under /api/v1: what integrations (CRMs, payment bridges, clinic systems) use. Every route is declared
// with its zod schemas, so the OpenAPI 3.1 document at /api/v1/openapi.json is generated from the same code that
// validates requests; a route's scope is checked by `requireScope` (src/api/auth.ts). Errors are problem details.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Hook } from "@hono/zod-openapi";
import { etag } from "hono/etag";
import { allow, anyone } from "../http/access.ts";
import { problem } from "../http/problem.ts";
import type { Installation } from "../installation.ts";
import { VERSION } from "../version.ts";
import { type ApiEnv, authenticate } from "./auth.ts";
import { idempotency } from "./idempotency.ts";
import { SCOPES, SCOPE_NAMES } from "./scopes.ts";
import { peopleApi } from "./people.api.ts";
import { recordsApi } from "./records.api.ts";
import { renderReference } from "./reference.tsx";
import { roomsApi } from "./rooms.api.ts";
import { servicesApi } from "./services.api.ts";
import { webhooksApi } from "./webhooks.api.ts";
import { appointmentChangesApi } from "./appointment-changes.api.ts";
import { appointmentsApi } from "./appointments.api.ts";
import { slotsApi } from "./slots.api.ts";

export type Api = OpenAPIHono<ApiEnv>;

/** Field errors of a request that failed its schema, as problem details (400). */
const validationProblem: Hook<unknown, ApiEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const errors = result.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
  return problem(c, 400, { detail: `The request does not match the API's schema: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors });
};

export function apiRoutes(deps: Installation): Api {
  const api = new OpenAPIHono<ApiEnv>({ defaultHook: validationProblem });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: `An API token (\`kbt_…\`) made by an admin or a specialist under My account → API tokens. Scopes:\n\n${SCOPE_NAMES.map((s) => `- \`${s}\`: ${SCOPES[s].about}`).join("\n")}`,
  });

  // Open to anyone: what the API is. Registered before the token check, which they never reach.
  api.get("/openapi.json", allow(anyone), (c) => c.json(openApiDocument(api, deps.config.publicUrl)));
  // The same document as a page to read (server-rendered, no script: see reference.tsx for why not Swagger UI).
  api.get("/reference", allow(anyone), (c) => c.html(renderReference(openApiDocument(api, deps.config.publicUrl))));

  api.use("*", authenticate(deps));
  api.use("*", idempotency(deps));
  api.use("*", etag());

  // In the order a CRM developer meets them: what can be booked, when, the bookings, the people, the consultations.
  servicesApi(api, deps);
  slotsApi(api, deps);
  appointmentsApi(api, deps);
  appointmentChangesApi(api, deps);
  peopleApi(api, deps);
  roomsApi(api, deps);
  recordsApi(api, deps);
  webhooksApi(api, deps);
  return api;
}

export function openApiDocument(api: Api, publicUrl: URL): ReturnType<Api["getOpenAPI31Document"]> {
  return api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Kabinet API",
      version: VERSION,
      description:
        "Appointments, people, services, free times, rooms and webhooks of a Kabinet installation. Authenticate with a bearer token; each route names its scope. Errors are RFC 9457 problem details; lists are paginated by cursor; POST accepts an `Idempotency-Key`; reads carry an `ETag` (send `If-None-Match`). Worked examples: docs/api.md.",
    },
    servers: [{ url: new URL("/api/v1", publicUrl).toString() }],
    tags: [
      { name: "Services", description: "What clients can book: name, duration, price, online or in person, who offers it, how it is paid." },
      { name: "Free times", description: "When a service can be booked (the booking pages' rules), and a specialist's working hours." },
      { name: "Appointments", description: "Bookings: list by window, read, book, move, cancel, mark a no-show. Each change mails the people concerned, as in the web pages." },
      { name: "People", description: "Clients and specialists. Every read of a client is recorded in the audit log with the token's name." },
      { name: "Rooms", description: "Consultation rooms: open one, get its invitation link, read its metadata." },
      { name: "Records", description: "What was written and shared in a consultation: chat and files. Needs the records:read scope; every read is audited." },
      { name: "Webhooks", description: "Subscriptions to events, signed per the Standard Webhooks spec; the delivery log and replays. Needs webhooks:manage." },
    ],
  });
}
