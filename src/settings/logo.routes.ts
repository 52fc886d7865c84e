// Serves the organisation's logo to anyone (the sign-in page shows it): at its content-hashed URL only, with its own
// image type, `nosniff` and a CSP that lets nothing run even if the file is opened on its own. Cached for a year: a
// new logo is a new URL.
import { Hono } from "hono";
import type { Queryable } from "../db/client.ts";
import { allow, anyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readLogoFile } from "./logo.ts";

export function logoRoutes(deps: { db: Queryable }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/:file", allow(anyone), (c) => {
    const logo = readLogoFile(deps.db, c.req.param("file"));
    if (!logo) return c.notFound();
    return c.body(logo.body, 200, {
      "content-type": logo.type,
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    });
  });
  return app;
}
