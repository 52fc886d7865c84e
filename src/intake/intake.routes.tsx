// An appointment's intake form (/appointments/:id/intake): its client fills it in (until the appointment starts);
// its specialist and admins read the answers at the same address. Anyone else, staff included, finds nothing (404).
import type { Context } from "hono";
import { Hono } from "hono";
import { getAppointment } from "../booking/appointments.ts";
import { allow, everyone } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { askedForm } from "./intake-forms.ts";
import type { Answer, IntakeProblem } from "./intake.schema.ts";
import { type ClientIntake, clientIntakeOf, intakeAnswersFor, type IntakeViewer, mayReadIntake, submitIntake } from "./intake.ts";
import { IntakeAnswersPage, IntakeFillPage } from "./views/intake-pages.tsx";

type Deps = Pick<Installation, "db" | "vault" | "clock">;

/** The client's last answers to the questions now asked, where each question is still of the same kind. */
function previousValues(intake: ClientIntake): Record<string, Answer> {
  if (!intake.response || !intake.form) return {};
  const before = new Map(intake.response.fields.map((f) => [f.id, f]));
  return Object.fromEntries(intake.form.fields.filter((f) => before.get(f.id)?.kind === f.kind).map((f) => [f.id, intake.response!.answers[f.id] ?? null]));
}

export function intakeRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const viewerOf = (c: Context<AppEnv>): IntakeViewer => ({ personId: c.get("viewer")!.personId, role: c.get("viewer")!.role });
  const zoneOf = (c: Context<AppEnv>) => personZone(deps.db, c.get("viewer")!.personId);
  const notFound = (c: Context<AppEnv>): never => {
    throw new AppError(404, c.get("t").errors.notFoundTitle);
  };
  const fillPage = (c: Context<AppEnv>, o: { values?: Record<string, Answer>; errors?: Record<string, IntakeProblem>; notice?: string; problem?: string; status?: 200 | 409 | 422 } = {}) => {
    const intake = clientIntakeOf(deps, c.req.param("id") ?? "", viewerOf(c), c.get("now"));
    if (!intake) return notFound(c);
    return c.html(<IntakeFillPage page={pageContext(c)} intake={intake} timeZone={zoneOf(c)} values={o.values ?? previousValues(intake)} errors={o.errors} notice={o.notice} problem={o.problem} />, o.status ?? 200);
  };

  app.get("/:id/intake", allow(everyone), (c) => {
    const viewer = viewerOf(c);
    const a = getAppointment(deps.db, c.req.param("id"));
    if (!a) return notFound(c);
    if (a.clientId === viewer.personId) return fillPage(c, { notice: c.req.query("sent") ? c.get("t").intake.fill.sent : undefined });
    if (!mayReadIntake(deps, a, viewer, c.get("now"))) return notFound(c);
    const answers = intakeAnswersFor(deps, a.id, viewer);
    if (!answers && !askedForm(deps.db, a.serviceId)) return notFound(c);
    return c.html(<IntakeAnswersPage page={pageContext(c)} appointmentId={a.id} answers={answers} asked={true} timeZone={zoneOf(c)} />);
  });

  app.post("/:id/intake", allow(everyone), async (c) => {
    const form = await readForm(c);
    const id = c.req.param("id");
    const sent = submitIntake(deps, id, viewerOf(c), form, c.get("now"));
    if (sent.ok) return c.redirect(`/appointments/${id}/intake?sent=1`, 303);
    const t = c.get("t").intake.fill;
    switch (sent.reason) {
      case "not-found":
        return notFound(c);
      case "invalid":
        return fillPage(c, { values: sent.values, errors: sent.errors, status: 422 });
      case "withheld":
        return fillPage(c, { problem: t.withheld, status: 409 });
      case "restricted":
        return fillPage(c, { problem: c.get("t").retention.holds.intakeRestricted, status: 409 });
      case "closed":
        return fillPage(c, { problem: t.closed, status: 409 });
      case "not-asked":
        return fillPage(c, { problem: t.notAsked, status: 409 });
    }
  });

  return app;
}
