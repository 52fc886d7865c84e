// Legal holds on a client and restriction of their processing, from the client's admin page. Admins only; every
// change is audited by the service (holds.ts).
import type { Context } from "hono";
import { Hono } from "hono";
import { recordAudit } from "../audit/audit.ts";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { getPerson, personZone } from "../people/people.ts";
import { liftRestriction, listHolds, placeHold, processingRestriction, releaseHold, RESTRICTION_REASONS, type Restriction, restrictProcessing } from "./holds.ts";
import { HoldsPage } from "./views/holds-page.tsx";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function holdsRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const actorOf = (c: Context<AppEnv>) => c.get("viewer")!.personId;
  /** Holds are placed on clients; an erased client's page still lists theirs (reasons no longer readable). */
  const clientOf = (c: Context<AppEnv>) => {
    const person = getPerson(deps, c.req.param("id")!);
    return person?.role === "client" ? person : null;
  };
  const render = (c: Context<AppEnv>, o: { values?: Record<string, string>; errors?: Record<string, string>; message?: string; notice?: string } = {}, status: 200 | 404 | 422 = 200) => {
    const person = clientOf(c)!;
    const label = person.erased ? c.get("t").erasure.erasedName : `${person.name} · ${person.email}`;
    return c.html(
      <HoldsPage
        page={pageContext(c)}
        personId={person.id}
        label={label}
        holds={listHolds(deps, person.id, c.get("now"))}
        restriction={processingRestriction(deps.db, person.id)}
        timeZone={personZone(deps.db, actorOf(c))}
        {...o}
      />,
      status,
    );
  };

  app.get("/:id/holds", allow(adminOnly), (c) => {
    const person = clientOf(c);
    if (!person) return c.notFound();
    // The page shows the client's name, email and the holds' reasons: a read of their data, as the person page is.
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actorOf(c), action: "person.view", target: person.id, at: c.get("now") }), { behavior: "immediate" });
    return render(c);
  });

  app.post("/:id/holds", allow(adminOnly), async (c) => {
    const person = clientOf(c);
    if (!person) return c.notFound();
    const form = await readForm(c);
    const p = c.get("t").retention.holds.problems;
    const untilText = (form.until ?? "").trim();
    if (untilText !== "" && !DATE.test(untilText)) return render(c, { values: form, errors: { until: p.until } }, 422);
    const until = untilText === "" ? null : endOfDay(untilText, personZone(deps.db, actorOf(c)));
    if (until === undefined) return render(c, { values: form, errors: { until: p.until } }, 422);
    const result = placeHold(deps, person.id, { recordType: form.recordType ?? "", reason: form.reason ?? "", until }, actorOf(c));
    if (!result.ok) {
      const field = result.problem === "reasonLong" || result.problem === "erased" ? "reason" : result.problem === "type" ? "recordType" : result.problem;
      return render(c, { values: form, errors: { [field]: p[result.problem] } }, 422);
    }
    return render(c, { notice: c.get("t").retention.holds.placed });
  });

  app.post("/:id/holds/:holdId/release", allow(adminOnly), (c) => {
    if (!clientOf(c)) return c.notFound();
    const released = releaseHold(deps, c.req.param("id"), c.req.param("holdId"), actorOf(c));
    const h = c.get("t").retention.holds;
    return released ? render(c, { notice: h.released }) : render(c, { message: h.notFound }, 404);
  });

  app.post("/:id/restrict", allow(adminOnly), async (c) => {
    const person = clientOf(c);
    if (!person) return c.notFound();
    const form = await readForm(c);
    // The erase page's button says nothing: it restricts because the law keeps the records.
    const reason = form.restrictReason ?? "legal-hold";
    if (!(RESTRICTION_REASONS as readonly string[]).includes(reason)) {
      return render(c, { values: form, errors: { restrictReason: c.get("t").retention.holds.problems.restrictReason } }, 422);
    }
    restrictProcessing(deps, person.id, reason as Restriction["reason"], actorOf(c));
    return render(c, { notice: c.get("t").retention.holds.restrictedDone });
  });

  app.post("/:id/restrict/lift", allow(adminOnly), (c) => {
    const person = clientOf(c);
    if (!person) return c.notFound();
    const h = c.get("t").retention.holds;
    return liftRestriction(deps, person.id, actorOf(c)) ? render(c, { notice: h.lifted }) : render(c, { message: h.notRestricted }, 404);
  });

  return app;
}

/** The end of the given day in the zone (the start of the next), or undefined for a day that does not exist. */
function endOfDay(day: string, zone: string): number | undefined {
  try {
    return Temporal.PlainDate.from(day, { overflow: "reject" }).add({ days: 1 }).toZonedDateTime(zone).epochMilliseconds;
  } catch {
    return undefined;
  }
}
