// The administration page: every admin page in three groups, so the admin's menu stays short enough for a phone
// (twenty links across the top wrapped into a screenful of header). Open alerts and requests are counted beside
// their links, as on the start page.
import { Hono } from "hono";
import { countOpenAlerts } from "../anomalies/anomalies.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { countOpenRequests } from "../privacy/requests.ts";
import { countGrantsToReview } from "../records/care.ts";
import { AdminHomePage } from "./views/admin-home-page.tsx";

export function adminHomeRoutes(deps: Pick<Installation, "db">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(adminOnly), (c) => c.html(<AdminHomePage page={pageContext(c)} openAlerts={countOpenAlerts(deps.db)} openRequests={countOpenRequests(deps.db)} grantsToReview={countGrantsToReview(deps.db)} />));
  return app;
}
