// Switching the interface language. Anyone may call it; it only sets a preference cookie.
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { allow, anyone } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { isLocale } from "./messages.ts";

export const LANG_COOKIE = "kabinet_lang";

export function langRoutes(secureCookies: boolean): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/", allow(anyone), async (c) => {
    const form = await c.req.parseBody();
    const lang = form["lang"];
    if (!isLocale(lang)) throw new AppError(400, "lang must be en or ru");
    setCookie(c, LANG_COOKIE, lang, {
      path: "/",
      sameSite: "Lax",
      secure: secureCookies,
      httpOnly: true,
      maxAge: 365 * 24 * 3600,
    });
    return c.redirect(safeLocalPath(form["back"]), 303);
  });
  return app;
}

/** Only a path on this site: never `//host` or `/\host`, which browsers read as another origin. */
export function safeLocalPath(value: unknown): string {
  return typeof value === "string" && /^\/(?![/\\])[^\s]*$/.test(value) ? value : "/";
}
