// Reads the session cookie on every request and puts the viewer on the context. The cookie is `__Host-` prefixed,
// Secure, HttpOnly and SameSite=Lax when the public URL is HTTPS; for plain-HTTP development (npm start) browsers
// refuse Secure cookies, so it is `kabinet_session` without Secure there.
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { sessionViewer } from "../accounts/sign-in.ts";
import type { AppEnv } from "../http/env.ts";
import { ABSOLUTE_TIMEOUT_MS, type Session, validateSessionToken } from "./sessions.ts";

export function sessionCookieName(publicUrl: URL): string {
  return publicUrl.protocol === "https:" ? "__Host-kabinet_session" : "kabinet_session";
}

export function sessionMiddleware(deps: AccountDeps): MiddlewareHandler<AppEnv> {
  const name = sessionCookieName(deps.config.publicUrl);
  return async (c, next) => {
    c.set("viewer", null);
    const token = getCookie(c, name);
    if (token) {
      const session = validateSessionToken(deps.db, token, deps.config.sessionIdleMinutes, deps.clock.now());
      const viewer = session ? sessionViewer(deps, session) : null;
      if (session && viewer) c.set("viewer", { ...viewer, session });
      else deleteCookie(c, name, { path: "/", secure: name.startsWith("__Host-") });
    }
    await next();
  };
}

export function setSessionCookie(c: Context, publicUrl: URL, token: string, session: Session): void {
  const name = sessionCookieName(publicUrl);
  setCookie(c, name, token, {
    path: "/",
    httpOnly: true,
    secure: name.startsWith("__Host-"),
    sameSite: "Lax",
    maxAge: Math.floor(Math.min(ABSOLUTE_TIMEOUT_MS, session.expiresAt - session.lastSeenAt) / 1000),
  });
}

export function clearSessionCookie(c: Context, publicUrl: URL): void {
  const name = sessionCookieName(publicUrl);
  deleteCookie(c, name, { path: "/", secure: name.startsWith("__Host-") });
}
