// How every API route is declared: its scope (checked, and read back by the access-matrix test), the bearer
// security, and the problem responses every route can give, so the OpenAPI document says all of it.
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { requireScope } from "./auth.ts";
import type { Scope } from "./scopes.ts";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Unprocessable Content" }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: "That time is no longer free. Choose another from /api/v1/slots." }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .passthrough()
  .openapi("Problem", { description: "An error, as RFC 9457 problem details." });

const problemResponse = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });

export const PROBLEMS = {
  400: problemResponse("The request is malformed: see `errors` for each field."),
  401: problemResponse("No valid API token: missing, unknown, expired, revoked, or its owner can no longer sign in."),
  403: problemResponse("The token lacks the route's scope, or its owner's role does not allow it."),
  429: problemResponse("Too many requests for this token: wait for `Retry-After` seconds."),
} as const;

export const NOT_FOUND = { 404: problemResponse("No such resource, or not one the token's owner may see.") } as const;
export const CONFLICT = { 409: problemResponse("The resource changed in a way that conflicts with the request (a time taken, a state that no longer allows it).") } as const;
export const UNPROCESSABLE = { 422: problemResponse("The request is well formed but cannot be done: `detail` says why.") } as const;

/** Idempotency-Key on every POST (optional), documented once. */
export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .max(255)
    .optional()
    .openapi({ description: "Any unique string (a UUID): a retry with the same key is answered (marked `Idempotent-Replayed: true`) instead of acting twice, for 24 hours. A retry's answer is read afresh (the resource as it is now, audited now); a signing secret is never shown again; a refusal (4xx) keeps nothing. See docs/api.md.", example: "5f1d0c3e-8c1a-4a5e-9d7b-2b9f8f2f4a10" }),
});

/** A route with its scope: `createRoute` plus the scope check, the security requirement and the common problems. */
export function apiRoute<const R extends Omit<RouteConfig, "security" | "middleware">>(scope: Scope, config: R) {
  return createRoute({
    ...config,
    description: `${config.description ?? ""}\n\nScope: \`${scope}\`.`.trim(),
    security: [{ bearer: [scope] }],
    middleware: [requireScope(scope)] as const,
    responses: { ...PROBLEMS, ...config.responses },
    "x-scope": scope,
  });
}

/** Cursor pagination: `limit` and an opaque `cursor` from the previous page's `next`. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "At most this many items (1–200)." }),
  cursor: z.string().max(200).optional().openapi({ description: "The `next` value of the previous page; omit for the first page." }),
});

export function pageOf<T extends z.ZodTypeAny>(item: T, name: string) {
  return z.object({ items: z.array(item), next: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." }) }).openapi(name);
}

/** A list that comes whole (bounded by its window or its owner), not in pages: `next` is always null, as on a last page. */
export function wholeListOf<T extends z.ZodRawShape>(shape: T, name: string, why: string) {
  return z.object({ ...shape, next: z.null().openapi({ description: `Always null: ${why}` }) }).openapi(name);
}
