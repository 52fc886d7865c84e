// The audit log for admins: filters by who, what and when, with the log's verification status and signed head.
// Each view verifies only the entries written since the last verified head (audit-head.ts). Admins only.
import { Hono } from "hono";
import { searchAudit } from "../audit/audit.ts";
import type { AccountDeps } from "../accounts/sign-in.ts";
import type { Installation } from "../installation.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { getSettings } from "../settings/settings.ts";
import { AuditPage } from "./views/audit-page.tsx";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function auditRoutes(deps: AccountDeps & Pick<Installation, "auditHead">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(adminOnly), (c) => {
    const q = (name: string) => (c.req.query(name) ?? "").trim().slice(0, 64);
    const filter = { actor: q("actor"), action: q("action"), from: q("from"), to: q("to") };
    const day = (s: string, plusDays = 0) => (DATE.test(s) && !Number.isNaN(Date.parse(s)) ? Date.parse(s) + plusDays * 86_400_000 : undefined);
    const entries = searchAudit(deps.db, {
      actor: filter.actor || undefined,
      actionPrefix: filter.action || undefined,
      from: day(filter.from),
      to: day(filter.to, 1),
    });
    return c.html(
      <AuditPage
        page={pageContext(c)}
        entries={entries}
        verification={deps.auditHead.check()}
        filter={filter}
        timeZone={getSettings(deps.db)?.timeZone ?? "UTC"}
      />,
    );
  });
  return app;
}
