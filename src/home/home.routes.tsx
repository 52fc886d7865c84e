// The start page. Anyone may call it.
import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { HomePage } from "./views/home-page.tsx";

export function homeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => c.html(<HomePage page={pageContext(c)} />));
  return app;
}
