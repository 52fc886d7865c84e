// Liveness and readiness for Docker's HEALTHCHECK, Caddy and monitoring. Anyone may call them; they reveal no data.
import { Hono } from "hono";
import { type DB, migrationState } from "../db/client.ts";
import { allow, anyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";

export function healthRoutes(db: DB): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/livez", allow(anyone), (c) => c.json({ status: "ok" }));
  app.get("/readyz", allow(anyone), (c) => {
    const problem = readinessProblem(db);
    return problem ? c.json({ status: "unavailable", reason: problem }, 503) : c.json({ status: "ready" });
  });
  return app;
}

function readinessProblem(db: DB): string | null {
  try {
    db.$client.query("SELECT 1").get();
    const state = migrationState(db);
    return state.kind === "current" ? null : `database schema is ${state.kind}`;
  } catch {
    return "database is not open";
  }
}
