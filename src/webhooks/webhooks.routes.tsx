// /admin/webhooks: admins add, change, test, disable, delete endpoints and read and replay their delivery logs. Every
// change is audited by the service; the log shows status codes, never payloads (which may name clients).
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Messages } from "../i18n/messages.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { listDeliveries, replayDelivery } from "./deliveries.ts";
import { createEndpoint, deleteEndpoint, type EndpointProblem, getEndpoint, listEndpoints, MAX_ENDPOINTS, rotateSecret, sendTestEvent, setEndpointEnabled, updateEndpoint } from "./endpoints.ts";
import { WEBHOOK_EVENTS } from "./events.ts";
import { wordUrlProblem } from "./reasons.ts";
import { type EndpointFormValues, WebhookPage, WebhooksPage } from "./views/webhooks-pages.tsx";

type Deps = Pick<Installation, "db" | "vault" | "clock">;

export function webhooksRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const actor = (c: Context<AppEnv>) => c.get("viewer")!.personId;
  const list = (c: Context<AppEnv>, o: { notice?: string; values?: EndpointFormValues; errors?: Record<string, string>; message?: string } = {}, status: 200 | 404 | 409 | 422 = 200) =>
    c.html(<WebhooksPage page={pageContext(c)} endpoints={listEndpoints(deps)} timeZone={personZone(deps.db, actor(c))} {...o} />, status);
  const one = (c: Context<AppEnv>, id: string, o: { notice?: string; secret?: string; values?: EndpointFormValues; errors?: Record<string, string>; message?: string } = {}, status: 200 | 201 | 404 | 409 | 422 = 200) => {
    const endpoint = getEndpoint(deps, id);
    if (!endpoint) return list(c, { message: c.get("t").webhooks.notFound }, 404);
    return c.html(<WebhookPage page={pageContext(c)} endpoint={endpoint} deliveries={listDeliveries(deps.db, id)} timeZone={personZone(deps.db, actor(c))} {...o} />, status);
  };

  app.get("/", allow(adminOnly), (c) => list(c));

  app.post("/", allow(adminOnly), async (c) => {
    const values = valuesOf(await readForm(c));
    const made = await createEndpoint(deps, inputOf(values), actor(c));
    if (!made.ok) return list(c, { values, ...problemsOf(made, c.get("t")) }, 422);
    return one(c, made.endpoint.id, { notice: c.get("t").webhooks.created, secret: made.secret }, 201);
  });

  app.get("/:id", allow(adminOnly), (c) => one(c, c.req.param("id")));

  app.post("/:id", allow(adminOnly), async (c) => {
    const id = c.req.param("id");
    const values = valuesOf(await readForm(c));
    const updated = await updateEndpoint(deps, id, inputOf(values), actor(c));
    if (!updated.ok && updated.reason === "not-found") return one(c, id);
    if (!updated.ok) return one(c, id, { values, ...problemsOf(updated, c.get("t")) }, 422);
    return one(c, id, { notice: c.get("t").webhooks.saved });
  });

  app.post("/:id/test", allow(adminOnly), (c) => {
    const id = c.req.param("id");
    const sent = sendTestEvent(deps, id, actor(c));
    const w = c.get("t").webhooks;
    if (!sent.ok) return sent.reason === "not-found" ? one(c, id) : one(c, id, { message: w.replayDisabled }, 409);
    return one(c, id, { notice: w.testQueued });
  });

  app.post("/:id/rotate", allow(adminOnly), (c) => {
    const id = c.req.param("id");
    const secret = rotateSecret(deps, id, actor(c));
    return secret ? one(c, id, { notice: c.get("t").webhooks.rotated, secret }) : one(c, id);
  });

  for (const [action, enabled] of [["enable", true], ["disable", false]] as const) {
    app.post(`/:id/${action}`, allow(adminOnly), (c) => {
      const id = c.req.param("id");
      if (!setEndpointEnabled(deps, id, enabled, actor(c))) return one(c, id);
      return one(c, id, { notice: enabled ? c.get("t").webhooks.enabledNotice : c.get("t").webhooks.disabledNotice });
    });
  }

  app.post("/:id/delete", allow(adminOnly), (c) => {
    const w = c.get("t").webhooks;
    return deleteEndpoint(deps, c.req.param("id"), actor(c)) ? list(c, { notice: w.deleted }) : list(c, { message: w.notFound }, 404);
  });

  app.post("/:id/deliveries/:deliveryId/replay", allow(adminOnly), (c) => {
    const id = c.req.param("id");
    const w = c.get("t").webhooks;
    const replayed = replayDelivery(deps, id, c.req.param("deliveryId"), actor(c));
    if (replayed.ok) return one(c, id, { notice: w.replayed });
    if (replayed.reason === "not-found") return getEndpoint(deps, id) ? one(c, id, { message: w.notFound }, 404) : one(c, id);
    return one(c, id, { message: replayed.reason === "pending" ? w.replayPending : w.replayDisabled }, 409);
  });

  return app;
}

function valuesOf(form: Record<string, string>): EndpointFormValues {
  return {
    url: (form.url ?? "").slice(0, 4000),
    events: WEBHOOK_EVENTS.filter((e) => form[`event.${e}`] === "on"),
    personalData: form.personalData === "on",
    internalHost: (form.internalHost ?? "").slice(0, 400),
  };
}

function inputOf(v: EndpointFormValues): { url: string; events: readonly string[]; personalData: boolean; internalHost: string | null } {
  return { url: v.url, events: v.events, personalData: v.personalData, internalHost: v.internalHost.trim() || null };
}

/** A refused endpoint as field errors, in the reader's language. */
function problemsOf(p: EndpointProblem, t: Messages): { errors: Record<string, string>; message?: string } {
  const w = t.webhooks;
  switch (p.reason) {
    case "events":
      return { errors: { events: w.eventsRequired } };
    case "internal-host":
      return { errors: { internalHost: w.internalHostInvalid } };
    case "too-many":
      return { errors: {}, message: w.tooMany(MAX_ENDPOINTS) };
    case "url": {
      const text = wordUrlProblem(w, p.problem);
      return { errors: p.problem.problem === "internal-host-mismatch" ? { internalHost: text } : { url: text } };
    }
  }
}
