// Who is calling the API: a bearer token, nothing else. Cookies are ignored here, so a browser session can never
// be ridden into the API (no CSRF to defend), and a token never reaches the web pages.
//
// `authenticate` runs on every API route but the document and its reference: it finds the token (401 with the
// reason: missing, unknown, expired, revoked, owner inactive) and counts the request against the token's rate (429
// with Retry-After). `requireScope` on each route checks the scope against the token and the owner's role (403),
// and is what the access-matrix test reads.
import type { Context, MiddlewareHandler } from "hono";
import { declareAccess } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { problem } from "../http/problem.ts";
import type { Installation } from "../installation.ts";
import type { Actor } from "../booking/appointments.ts";
import type { RetryFacts, RetryKeep } from "./idempotency.ts";
import { RateLimiter } from "./rate-limit.ts";
import type { Scope } from "./scopes.ts";
import { authenticateToken, holderMay, type TokenCheck, type TokenHolder } from "./tokens.ts";

export interface ApiEnv extends AppEnv {
  Variables: AppEnv["Variables"] & {
    holder: TokenHolder;
    /** What a POST's handler lets the idempotency middleware keep for a retry (idempotency.ts). */
    retryKeep?: RetryKeep;
    /** Set on a retry that the handler answers afresh from what its first run kept (idempotency.ts). */
    retryFacts?: RetryFacts;
  };
}

const REASONS: Record<Exclude<TokenCheck, { ok: true }>["reason"], string> = {
  missing: "Send an API token: `Authorization: Bearer kbt_…`. Admins and specialists create tokens under My account → API tokens.",
  malformed: "The Authorization header does not hold a Kabinet API token (`Bearer kbt_` and 43 characters).",
  unknown: "This API token is not known here. Check that it was copied whole, or create a new one.",
  expired: "This API token has expired. Create a new one under My account → API tokens.",
  revoked: "This API token was revoked. Create a new one under My account → API tokens.",
  inactive: "The person this API token belongs to can no longer sign in, so the token no longer works.",
};

const LIMITERS = new WeakMap<object, RateLimiter>();

export function authenticate(deps: Pick<Installation, "db" | "clock">): MiddlewareHandler<ApiEnv> {
  // One limiter per installation, however many routers authenticate (/api/v1, /fhir/R4): a token's limit is its own.
  let limiter = LIMITERS.get(deps.db);
  if (!limiter) LIMITERS.set(deps.db, (limiter = new RateLimiter(deps.clock)));
  return async (c, next) => {
    const header = c.req.header("authorization");
    const secret = header === undefined ? null : (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "");
    const check = authenticateToken(deps.db, secret, deps.clock.now());
    if (!check.ok) {
      return problem(c, 401, { detail: REASONS[check.reason] }, { "www-authenticate": check.reason === "missing" ? 'Bearer realm="kabinet"' : 'Bearer realm="kabinet", error="invalid_token"' });
    }
    const { token } = check.holder;
    const rate = limiter.take(token.id, token.ratePerMinute);
    c.header("ratelimit-limit", String(token.ratePerMinute));
    c.header("ratelimit-remaining", String(rate.remaining));
    if (!rate.ok) {
      return problem(c, 429, { detail: `This token may make ${token.ratePerMinute} requests a minute. Wait ${rate.retryAfterSeconds} s, or ask an admin for a higher limit.` }, { "retry-after": String(rate.retryAfterSeconds) });
    }
    c.set("holder", check.holder);
    await next();
  };
}

/** The route's scope; declared for the access matrix. */
export function requireScope(scope: Scope): MiddlewareHandler<ApiEnv> {
  const middleware: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const holder = c.get("holder");
    if (!holderMay(holder, scope)) {
      const why = holder.token.scopes.includes(scope) ? `the token's owner's role (${holder.role}) does not allow it` : "the token does not have it";
      return problem(c, 403, { detail: `This route needs the scope ${scope}, and ${why}.`, scope }, { "www-authenticate": `Bearer realm="kabinet", error="insufficient_scope", scope="${scope}"` });
    }
    await next();
  };
  return declareAccess(middleware, { who: "token", scope });
}

/** The person a token acts for, as the services know them. */
export function actorOf(c: Context<ApiEnv>): Actor {
  const { token, role } = c.get("holder");
  return { personId: token.personId, role };
}
