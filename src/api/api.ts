// The REST API under /api/v1: what integrations (CRMs, payment bridges, clinic systems) use. Every route is declared
// with its zod schemas, so the OpenAPI 3.1 document at /api/v1/openapi.json is generated from the same code that
// validates requests; a route's scope is checked by `requireScope` (src/api/auth.ts). Errors are problem details.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Hook } from "@hono/zod-openapi";
import type { Handler } from "hono";
import { etag, RETAINED_304_HEADERS } from "hono/etag";
import { createHash } from "node:crypto";
import { allow, anyone } from "../http/access.ts";
import { problem } from "../http/problem.ts";
import type { Installation } from "../installation.ts";
import { VERSION } from "../version.ts";
import { type ApiEnv, authenticate } from "./auth.ts";
import { idempotency } from "./idempotency.ts";
import { SCOPES, SCOPE_NAMES } from "./scopes.ts";
import { peopleApi } from "./people.api.ts";
import { recordsApi } from "./records.api.ts";
import { GUIDES, type GuideName } from "./guide-names.ts";
import { renderGuidePage } from "./guide.tsx";
import { renderReference } from "./reference.tsx";
import { roomsApi } from "./rooms.api.ts";
import { servicesApi } from "./services.api.ts";
import { webhooksApi } from "./webhooks.api.ts";
import { appointmentChangesApi } from "./appointment-changes.api.ts";
import { appointmentsApi } from "./appointments.api.ts";
import { slotsApi } from "./slots.api.ts";

export type Api = OpenAPIHono<ApiEnv>;

/** Where apiRoutes is mounted (src/app.ts); the document's server URL says the same. */
export const API_BASE = "/api/v1";

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
    description: `An API token (\`kbt_…\`) made by an admin or a specialist under My account → API tokens (admins see every token of the organisation under Administration → API tokens). Scopes:\n\n${SCOPE_NAMES.map((s) => `- \`${s}\`: ${SCOPES[s].about}`).join("\n")}`,
  });

  // Open to anyone: what the API is. Registered before the token check, which they never reach.
  // Both change only with the code, so each is built once, on its first request, and carries an ETag.
  api.get("/openapi.json", allow(anyone), serveBuiltOnce("application/json", () => JSON.stringify(openApiDocument(api, deps.config.publicUrl))));
  // The same document as a page to read (server-rendered, no script: see reference.tsx for why not Swagger UI).
  api.get("/reference", allow(anyone), serveBuiltOnce("text/html; charset=UTF-8", async () => await renderReference(openApiDocument(api, deps.config.publicUrl)).toString()));
  // The worked examples (docs/api.md, and the webhooks and FHIR guides it links to), rendered when the binary is built.
  for (const [name, guide] of Object.entries(GUIDES) as [GuideName, (typeof GUIDES)[GuideName]][]) {
    api.get(guide.path, allow(anyone), serveBuiltOnce("text/html; charset=UTF-8", () => renderGuidePage(name)));
  }

  api.use("*", authenticate(deps));
  api.use("*", idempotency(deps));
  // A 304 still says where the token stands with its rate limit (a poller lives on 304s).
  api.use("*", etag({ retainedHeaders: [...RETAINED_304_HEADERS, "ratelimit-limit", "ratelimit-remaining"] }));

  // In the order a CRM developer meets them: what can be booked, when, the bookings, the people, the consultations.
  servicesApi(api, deps);
  slotsApi(api, deps);
  appointmentsApi(api, deps);
  appointmentChangesApi(api, deps);
  peopleApi(api, deps);
  roomsApi(api, deps);
  recordsApi(api, deps);
  webhooksApi(api, deps);
  // Last: an address the API has, called with a method it does not take, is a 405 naming the methods it does take.
  api.all("*", answerUnknownRoute(api));
  return api;
}

/**
 * Answers a document built on the first request and kept (anyone may ask for it, so it must not cost a rebuild each
 * time): with a strong ETag, and 304 to an If-None-Match that names it.
 */
function serveBuiltOnce(contentType: string, build: () => string | Promise<string>): Handler<ApiEnv> {
  let built: Promise<{ body: string; tag: string }> | null = null;
  return async (c) => {
    built ??= Promise.resolve()
      .then(build)
      .then((body) => ({ body, tag: `"${createHash("sha256").update(body).digest("base64url")}"` }))
      .catch((err: unknown) => {
        built = null;
        throw err;
      });
    const { body, tag } = await built;
    const headers = { etag: tag, "cache-control": "no-cache" };
    const wanted = c.req.header("if-none-match")?.split(",").map((t) => t.trim().replace(/^W\//, ""));
    if (wanted?.some((t) => t === tag || t === "*")) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, "content-type": contentType });
  };
}

/** 405 with Allow for a known path and another method; 404 for a path the API does not have. */
function answerUnknownRoute(api: Api): Handler<ApiEnv> {
  let known: { pattern: RegExp; methods: string[] }[] | null = null;
  return (c) => {
    known ??= knownPaths(api);
    const path = c.req.path.slice(API_BASE.length) || "/";
    const methods = known.find((k) => k.pattern.test(path))?.methods;
    if (!methods) return problem(c, 404, { detail: "No API route at this address and method. The routes are listed in /api/v1/openapi.json." });
    const allow = [...new Set([...methods, ...(methods.includes("GET") ? ["HEAD"] : [])])].join(", ");
    return problem(c, 405, { detail: `${c.req.method} is not allowed here: this address takes ${allow}.` }, { allow });
  };
}

function knownPaths(api: Api): { pattern: RegExp; methods: string[] }[] {
  const byPath = new Map<string, string[]>();
  for (const r of api.routes) {
    if (r.method === "ALL" || r.path.includes("*")) continue;
    byPath.set(r.path, [...new Set([...(byPath.get(r.path) ?? []), r.method])]);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/")}/?$`),
    methods,
  }));
}

export function openApiDocument(api: Api, publicUrl: URL): ReturnType<Api["getOpenAPI31Document"]> {
  const guideUrl = (name: GuideName) => new URL(`${API_BASE}${GUIDES[name].path}`, publicUrl).toString();
  return api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Kabinet API",
      version: VERSION,
      description:
        "Appointments, people, services, free times, rooms and webhooks of a Kabinet installation. Authenticate with a bearer token; each route names its scope. Errors are RFC 9457 problem details; lists are paginated by cursor; POST accepts an `Idempotency-Key`; reads carry an `ETag` (send `If-None-Match`). " +
        `Worked examples with curl: ${guideUrl("api")} (webhooks: ${guideUrl("webhooks")}; FHIR R4: ${guideUrl("fhir")}).`,
    },
    servers: [{ url: new URL(API_BASE, publicUrl).toString() }],
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
