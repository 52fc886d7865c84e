// Security alerts for admins: what the anomaly rules found in the audit trail, and acknowledging them (audited).
import type { Context } from "hono";
import { Hono } from "hono";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { acknowledgeAlert, listAlertsForAdmin } from "../anomalies/anomalies.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { getSettings } from "../settings/settings.ts";
import { AlertsPage } from "./views/alerts-page.tsx";

export function alertsRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>, notice?: string, status: 200 | 404 = 200) =>
    c.html(<AlertsPage page={pageContext(c)} alerts={listAlertsForAdmin(deps)} timeZone={getSettings(deps.db)?.timeZone ?? "UTC"} notice={notice} />, status);

  app.get("/", allow(adminOnly), (c) => page(c));
  app.post("/:id/acknowledge", allow(adminOnly), (c) => {
    const id = Number(c.req.param("id"));
    const t = c.get("t").anomalies;
    if (!Number.isSafeInteger(id) || !acknowledgeAlert(deps, id, c.get("viewer")!.personId, c.get("now"))) return page(c, t.notFound, 404);
    return page(c, t.done);
  });
  return app;
}
