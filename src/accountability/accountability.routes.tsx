// Accountability reports for the data protection officer, who works as an admin: who read a client's data, the
// record of processing activities, and the incident register. Admins only, every route.
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { incidentsRoutes } from "./incidents.routes.tsx";
import { processingRoutes } from "./processing.routes.tsx";
import { readsRoutes } from "./reads.routes.tsx";
import { AccountabilityPage } from "./views/accountability-page.tsx";

export function accountabilityRoutes(deps: Installation): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(adminOnly), (c) => c.html(<AccountabilityPage page={pageContext(c)} />));
  app.route("/reads", readsRoutes(deps));
  app.route("/processing", processingRoutes(deps));
  app.route("/incidents", incidentsRoutes(deps));
  return app;
}
