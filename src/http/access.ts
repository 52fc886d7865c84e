// Who may call a route. Every route declares it with allow(...) next to its handler; the access-matrix test reads
// these declarations from the app itself and fails for any route without one.
//
//   anyone       no session needed (health, assets, language, the shell's public pages)
//   signed-out   sign-in and registration; a signed-in person is sent home instead
//   stage        the steps between password and a full session: "second-factor", or "enrol" (enrolment also
//                serves full sessions, which can set up two-factor from their account page)
//   roles        a full session of one of these roles
//   token        an API token (never a cookie) with this scope, whose owner's role allows it (src/api/auth.ts)
//
// A request without the needed session: pages redirect to /signin (303); other requests get 401. A session of the
// wrong role gets 403. A partial session is always sent back to the step it must finish.
import type { Context, MiddlewareHandler } from "hono";
import { setCookie } from "hono/cookie";
import { AppError } from "./app-error.ts";
import { HOST_ROLES, ROLES, type Role, STAFF_ROLES } from "../roles.ts";
import type { AppEnv, SessionStage } from "./env.ts";

export type Access =
  | { who: "anyone" }
  | { who: "signed-out" }
  | { who: "stage"; stage: Exclude<SessionStage, "full"> }
  | { who: "roles"; roles: readonly Role[] }
  | { who: "token"; scope: string };

const RULES = new WeakMap<Function, Access>();

export const anyone: Access = { who: "anyone" };
export const signedOut: Access = { who: "signed-out" };
export const everyone: Access = { who: "roles", roles: ROLES };
export const staffOnly: Access = { who: "roles", roles: STAFF_ROLES };
export const hostsOnly: Access = { who: "roles", roles: HOST_ROLES };
export const adminOnly: Access = { who: "roles", roles: ["admin"] };
export const stage = (s: Exclude<SessionStage, "full">): Access => ({ who: "stage", stage: s });

export function allow(access: Access): MiddlewareHandler<AppEnv> {
  if (access.who === "token") throw new Error("API routes declare their scope with requireScope (src/api/auth.ts)");
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const viewer = c.get("viewer");
    const s = viewer?.session.stage;
    switch (access.who) {
      case "anyone":
        return await next();
      case "signed-out":
        if (s === "full") return c.redirect("/", 303);
        return await next();
      case "stage":
        if (s === access.stage || (access.stage === "enrol" && s === "full")) return await next();
        return refuse(c, s);
      case "roles":
        if (s !== "full") return refuse(c, s);
        if (!access.roles.includes(viewer!.role)) throw new AppError(403, c.get("t").errors.forbiddenRole);
        return await next();
    }
  };
  RULES.set(middleware, access);
  return middleware;
}

/** Records the rule a middleware enforces itself (the API's scope check), for the access-matrix test. */
export function declareAccess<M extends Function>(middleware: M, access: Access): M {
  RULES.set(middleware, access);
  return middleware;
}

/** The declared rule of a handler registered with allow(); undefined for anything else. */
export function declaredAccess(handler: Function): Access | undefined {
  return RULES.get(handler);
}

/** Where a person with this (partial) session should be. */
export function nextStepPath(stageNow: SessionStage | undefined): string {
  return stageNow === "second-factor" ? "/signin/two-factor" : stageNow === "enrol" ? "/account/two-factor" : stageNow === "full" ? "/" : "/signin";
}

function refuse(c: Context<AppEnv>, s: SessionStage | undefined): Response {
  if (c.req.method === "GET" && !c.req.header("hx-request")) {
    // Signed out: back to this page after signing in (a link from a mail, say); the start page follows it once.
    const url = new URL(c.req.url);
    if (s === undefined) rememberReturnPath(c, url.pathname + url.search);
    return c.redirect(nextStepPath(s), 303);
  }
  throw new AppError(401, c.get("t").errors.signInFirst);
}

/** Where to go back to after signing in (a path on this site, set when a page asked for a session). */
export const RETURN_COOKIE = "kabinet_return";

/**
 * Remembers where to come back to once signed in (the start page follows it once), if it is a plain path on this
 * site; else nothing. Used when a page asks for a session, by the public booking page before the sign-in choice, and
 * for /signin?return=… and /register?return=….
 */
export function rememberReturnPath(c: Context<AppEnv>, path: string | undefined): void {
  if (path === undefined || !isReturnPath(path)) return;
  // Secure by the public URL: behind the proxy the request reaching us is plain HTTP although the browser's is not.
  const secure = c.get("publicUrl").protocol === "https:";
  setCookie(c, RETURN_COOKIE, path, { path: "/", httpOnly: true, sameSite: "Lax", secure, maxAge: RETURN_MAX_AGE_S });
}

// Long enough to register (a code by mail, a password) on the way back to a booking.
const RETURN_MAX_AGE_S = 30 * 60;

/** Only a plain path on this site: no scheme, no host, no protocol-relative or backslash tricks, bounded. */
export function isReturnPath(path: string): boolean {
  return /^\/(?![\/\\])[^\s\\]*$/.test(path) && path.length <= 300 && path !== "/";
}
