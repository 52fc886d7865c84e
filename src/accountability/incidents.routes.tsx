// The incident register for admins: list, record, correct, record notifications, close and reopen. Every change is
// a POST (same-origin checked by the app) and is audited by the service.
import type { Context } from "hono";
import { Hono } from "hono";
import { recordAudit } from "../audit/audit.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { getPerson } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import { closeIncident, getIncident, listIncidents, recordIncident, recordNotification, updateIncident, type Incident } from "./incidents.ts";
import { type IncidentForm, type IncidentProblem, incidentFormOf, localDateTimeOf, parseIncidentForm, parseNotification } from "./incidents.schema.ts";
import { IncidentFormPage } from "./views/incident-form-page.tsx";
import { IncidentPage } from "./views/incident-page.tsx";
import { IncidentsPage } from "./views/incidents-page.tsx";

type IncidentRouteDeps = Pick<Installation, "db" | "vault">;

export function incidentsRoutes(deps: IncidentRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const zoneOf = () => getSettings(deps.db)?.timeZone ?? "UTC";
  const actorOf = (c: Context<AppEnv>) => c.get("viewer")!.personId;
  const words = (c: Context<AppEnv>, errors: Record<string, IncidentProblem>, unknownLine?: number) => {
    const i = c.get("t").accountability.incidents;
    const out: Record<string, string> = Object.fromEntries(Object.entries(errors).map(([field, problem]) => [field, i.problems[problem]]));
    if (unknownLine !== undefined) out.emails = i.unknownLine(unknownLine);
    return out;
  };
  const emptyForm = (c: Context<AppEnv>): IncidentForm => ({ title: "", description: "", emails: "", others: "", count: "", occurred: "", discovered: localDateTimeOf(c.get("now"), zoneOf()) });
  const formOfIncident = (x: Incident): IncidentForm => ({
    title: x.title,
    description: x.description,
    emails: x.affected.flatMap((a) => (a.erased ? [] : [getPerson(deps, a.id)?.email ?? ""])).join("\n"),
    others: x.others,
    count: String(x.affectedCount),
    occurred: x.occurredAt === null ? "" : localDateTimeOf(x.occurredAt, zoneOf()),
    discovered: localDateTimeOf(x.discoveredAt, zoneOf()),
  });
  const show = (c: Context<AppEnv>, x: Incident, extra: { notice?: string; errors?: Record<string, string>; form?: { kind: string; at: string } } = {}, status: 200 | 422 = 200) =>
    c.html(<IncidentPage page={pageContext(c)} incident={x} timeZone={zoneOf()} nowLocal={localDateTimeOf(c.get("now"), zoneOf())} {...extra} />, status);

  app.get("/", allow(adminOnly), (c) => c.html(<IncidentsPage page={pageContext(c)} incidents={listIncidents(deps)} timeZone={zoneOf()} />));

  app.get("/new", allow(adminOnly), (c) => c.html(<IncidentFormPage page={pageContext(c)} form={emptyForm(c)} />));

  app.post("/", allow(adminOnly), async (c) => {
    const form = incidentFormOf(await readForm(c));
    const parsed = parseIncidentForm(deps, form, zoneOf(), c.get("now"));
    if (!parsed.ok) return c.html(<IncidentFormPage page={pageContext(c)} form={form} errors={words(c, parsed.errors, parsed.unknownLine)} />, 422);
    const id = recordIncident(deps, parsed.value, actorOf(c), c.get("now"));
    return c.redirect(`/admin/accountability/incidents/${id}?saved=1`, 303);
  });

  app.get("/:id", allow(adminOnly), (c) => {
    const x = getIncident(deps, c.req.param("id"));
    if (!x) return c.notFound();
    // It names the affected people: recorded as a read of the incident (many clients at once, not one client's record).
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: c.get("viewer")!.personId, action: "incident.view", target: x.id, at: c.get("now") }), { behavior: "immediate" });
    return show(c, x, { notice: c.req.query("saved") ? c.get("t").accountability.incidents.saved : undefined });
  });

  app.get("/:id/edit", allow(adminOnly), (c) => {
    const x = getIncident(deps, c.req.param("id"));
    if (!x) return c.notFound();
    return c.html(<IncidentFormPage page={pageContext(c)} form={formOfIncident(x)} incidentId={x.id} />);
  });

  app.post("/:id", allow(adminOnly), async (c) => {
    const id = c.req.param("id");
    if (!getIncident(deps, id)) return c.notFound();
    const form = incidentFormOf(await readForm(c));
    const parsed = parseIncidentForm(deps, form, zoneOf(), c.get("now"));
    if (!parsed.ok) return c.html(<IncidentFormPage page={pageContext(c)} form={form} errors={words(c, parsed.errors, parsed.unknownLine)} incidentId={id} />, 422);
    if (!updateIncident(deps, id, parsed.value, actorOf(c), c.get("now"))) return c.notFound();
    return c.redirect(`/admin/accountability/incidents/${id}?saved=1`, 303);
  });

  app.post("/:id/notifications", allow(adminOnly), async (c) => {
    const x = getIncident(deps, c.req.param("id"));
    if (!x) return c.notFound();
    const body = await readForm(c);
    const parsed = parseNotification(body, x.discoveredAt, zoneOf(), c.get("now"));
    if (!parsed.ok) return show(c, x, { errors: words(c, parsed.errors), form: { kind: body.kind ?? "", at: (body.at ?? "").slice(0, 16) } }, 422);
    recordNotification(deps, x.id, parsed.value.kind, parsed.value.at, actorOf(c), c.get("now"));
    return c.redirect(`/admin/accountability/incidents/${x.id}?saved=1`, 303);
  });

  for (const [verb, closed] of [["close", true], ["reopen", false]] as const) {
    app.post(`/:id/${verb}`, allow(adminOnly), (c) => {
      if (!closeIncident(deps, c.req.param("id"), { closed }, actorOf(c), c.get("now"))) return c.notFound();
      return c.redirect(`/admin/accountability/incidents/${c.req.param("id")}`, 303);
    });
  }

  return app;
}
