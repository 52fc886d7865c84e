// The organisation's retention policy and the retention job, for admins: the periods per record type (saved and
// audited as `retention.policy`), the last run's report, and running the job now (audited by the job: `retention.run`).
import type { Context } from "hono";
import { Hono } from "hono";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { recordAudit } from "../audit/audit.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { personZone } from "../people/people.ts";
import { getRetentionPolicy, minimumDeleteAfter, parseRetentionForm, RECORD_TYPES, type RecordType, saveRetentionPolicy } from "./policy.ts";
import { lastRetentionRun, runRetention } from "./retention.ts";
import { RetentionPage } from "./views/retention-page.tsx";

export function retentionRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (c: Context<AppEnv>, o: { values?: Record<string, string>; errors?: Record<string, string>; notice?: string } = {}, status: 200 | 422 = 200) =>
    c.html(<RetentionPage page={pageContext(c)} policy={getRetentionPolicy(deps.db)} lastRun={lastRetentionRun(deps.db)} timeZone={personZone(deps.db, c.get("viewer")!.personId)} {...o} />, status);

  app.get("/", allow(adminOnly), (c) => render(c));

  app.post("/", allow(adminOnly), async (c) => {
    const form = await readForm(c);
    const parsed = parseRetentionForm(form);
    const problems = c.get("t").retention.problems;
    if (!parsed.ok) {
      const errors = Object.fromEntries(
        Object.entries(parsed.errors).map(([field, problem]) => [field, problem === "tooShort" ? problems.tooShort(minimumDeleteAfter(field.split(".")[0] as RecordType)) : problems[problem]]),
      );
      return render(c, { values: parsed.values, errors }, 422);
    }
    const details: Record<string, number | null> = {};
    for (const t of RECORD_TYPES) {
      details[`${t}.deleteAfterDays`] = parsed.policy[t].deleteAfterDays;
      details[`${t}.keepAtLeastDays`] = parsed.policy[t].keepAtLeastDays;
    }
    deps.db.transaction(
      (tx) => {
        saveRetentionPolicy(tx, parsed.policy);
        recordAudit(tx, deps.vault, { actor: c.get("viewer")!.personId, action: "retention.policy", details, at: c.get("now") });
      },
      { behavior: "immediate" },
    );
    return render(c, { notice: c.get("t").retention.saved });
  });

  app.post("/run", allow(adminOnly), (c) => {
    const report = runRetention(deps, c.get("viewer")!.personId);
    const purged = Object.values(report.purged).reduce((n, x) => n + x, 0);
    return render(c, { notice: c.get("t").retention.ran(purged) });
  });

  return app;
}
