// Liveness and readiness for Docker's HEALTHCHECK, Caddy and monitoring. Anyone may call them; they reveal no data.
// /livez: the process answers. /readyz: it can do its job (ops/readiness.ts), else 503 with a short reason.
import { Hono } from "hono";
import { allow, anyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { Readiness, type ReadinessDeps } from "./readiness.ts";

export function healthRoutes(deps: ReadinessDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const readiness = new Readiness(deps);
  app.get("/livez", allow(anyone), (c) => c.json({ status: "ok" }));
  app.get("/readyz", allow(anyone), (c) => {
    const problem = readiness.problem();
    return problem ? c.json({ status: "unavailable", reason: problem }, 503) : c.json({ status: "ready" });
  });
  return app;
}
