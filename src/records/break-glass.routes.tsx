// Admin review of emergency access (/admin/break-glass): every grant with its reason, a verdict per grant, and how
// long a grant lasts. Admins only; listing, verdicts and the setting are audited (care.ts).
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { getSettings } from "../settings/settings.ts";
import { BREAK_GLASS_MAX_MINUTES, breakGlassMinutes, listGrantsForReview, reviewGrant, setBreakGlassMinutes } from "./care.ts";
import { BreakGlassReviewPage } from "./views/care-admin-pages.tsx";

type Deps = Pick<Installation, "db" | "vault">;

export function breakGlassRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (c: Context<AppEnv>, o: { notice?: string; minutes?: string; errors?: Record<string, string>; status?: 200 | 409 | 422 } = {}) =>
    c.html(
      <BreakGlassReviewPage
        page={pageContext(c)}
        grants={listGrantsForReview(deps, c.get("viewer")!.personId, c.get("now"))}
        viewerId={c.get("viewer")!.personId}
        minutes={o.minutes ?? String(breakGlassMinutes(deps.db))}
        timeZone={getSettings(deps.db)?.timeZone ?? "UTC"}
        notice={o.notice}
        errors={o.errors}
      />,
      o.status ?? 200,
    );

  app.get("/", allow(adminOnly), (c) => render(c));

  app.post("/minutes", allow(adminOnly), async (c) => {
    const raw = ((await readForm(c)).minutes ?? "").trim();
    const minutes = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
    if (setBreakGlassMinutes(deps, c.get("viewer")!.personId, minutes, c.get("now")) !== "ok") {
      return render(c, { minutes: raw, errors: { minutes: c.get("t").care.minutesBad(BREAK_GLASS_MAX_MINUTES) }, status: 422 });
    }
    return render(c, { notice: c.get("t").care.minutesSaved });
  });

  app.post("/:grantId/review", allow(adminOnly), async (c) => {
    const verdict = (await readForm(c)).verdict;
    if (verdict !== "justified" && verdict !== "unjustified") throw new AppError(400, c.get("t").errors.badRequestTitle);
    const done = reviewGrant(deps, c.get("viewer")!.personId, c.req.param("grantId"), verdict, c.get("now"));
    if (done === "not-found") throw new AppError(404, c.get("t").errors.notFoundTitle);
    if (done === "reviewed") return render(c, { errors: { verdict: c.get("t").care.alreadyReviewed }, status: 409 });
    if (done === "own-grant") return render(c, { errors: { verdict: c.get("t").care.ownGrant }, status: 409 });
    return render(c, { notice: c.get("t").care.reviewed });
  });

  return app;
}
