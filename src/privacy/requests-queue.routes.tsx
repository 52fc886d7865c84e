// The request queue (/admin/privacy/requests): open requests by deadline, recording a request received by mail,
// letter, phone or in person, and closing one with its outcome. Admins and staff (the office answers requests);
// downloading a client's data for them is an admin's act, like erasing them.
import type { Context } from "hono";
import { Hono } from "hono";
import { recordAudit } from "../audit/audit.ts";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { type Access, adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { findPersonByEmail, readingOf } from "../people/people.ts";
import { getOrgIdentity } from "../settings/settings.ts";
import { downloadResponse } from "./export-download.ts";
import { closeRequest, countOpenRequests, defaultLaw, exportRefusal, extendRequest, fileRequest, getRequest, latestExtension, listClosedRequests, requestMayBeExtended, listOpenRequests, orgTimeZone, setDefaultLaw } from "./requests.ts";
import { closeRequestSchema, defaultLawSchema, extendRequestSchema, staffRequestSchema } from "./requests.schema.ts";
import { formatDueDay } from "./views/requests-dates.ts";
import { type QueueForm, RequestQueuePage } from "./views/requests-queue-page.tsx";

const office: Access = { who: "roles", roles: ["admin", "staff"] };
/** How far back a request received another way may be dated: a letter found late, not a typo of the year. */
const MAX_BACKDATE_DAYS = 366;

export function requestQueueRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const render = (
    c: Context<AppEnv>,
    status: 200 | 404 | 409 | 422,
    extra: { notice?: string; message?: string; closeError?: { id: string; message: string }; extendError?: { id: string; message: string }; form?: QueueForm; errors?: Record<string, string> } = {},
  ) => {
    const zone = orgTimeZone(deps.db);
    const today = Temporal.Instant.fromEpochMilliseconds(c.get("now")).toZonedDateTimeISO(zone).toPlainDate().toString();
    const page = (
      <RequestQueuePage
        page={pageContext(c)}
        timeZone={zone}
        open={listOpenRequests(deps)}
        latestExtension={(r) => (requestMayBeExtended(r) ? latestExtension(deps.db, r) : null)}
        closed={listClosedRequests(deps, 20)}
        isAdmin={c.get("viewer")!.role === "admin"}
        defaultLaw={defaultLaw(deps.db)}
        today={today}
        {...extra}
      />
    );
    return c.html(page, status);
  };

  app.get("/", allow(office), (c) => {
    const t = c.get("t").dataRights.queue;
    const done = c.req.query("done");
    // The queue shows many clients' names and their requests' notes: recorded as a list read, with how many it showed.
    const shown = countOpenRequests(deps.db);
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: c.get("viewer")!.personId, action: "privacy-requests.list", details: { open: shown }, at: c.get("now") }), { behavior: "immediate" });
    return render(c, 200, { notice: done === "recorded" ? t.recorded : done === "closed" ? t.closedNotice : done === "law" ? t.defaultLawSaved : done === "extended" ? t.extendedNotice : undefined });
  });

  // The organisation's law for new requests: which deadline a client's own request gets.
  app.post("/law", allow(adminOnly), async (c) => {
    const parsed = defaultLawSchema.safeParse(await readForm(c));
    if (!parsed.success) return render(c, 422, { message: c.get("t").form.invalid });
    setDefaultLaw(deps, parsed.data.defaultLaw, c.get("viewer")!.personId, c.get("now"));
    return c.redirect("/admin/privacy/requests?done=law", 303);
  });

  app.post("/", allow(office), async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const parsed = staffRequestSchema.safeParse(form);
    if (!parsed.success) return render(c, 422, { form, errors: fieldErrors(parsed.error, t) });
    const zone = orgTimeZone(deps.db);
    const now = c.get("now");
    const received = receivedAt(parsed.data.received, zone, now);
    if (received === null) return render(c, 422, { form, errors: { received: t.form.invalid } });
    const person = findPersonByEmail(deps, parsed.data.email);
    if (!person || person.role !== "client") return render(c, 422, { form, errors: { email: t.dataRights.queue.noSuchClient } });
    const result = fileRequest(deps, { personId: person.id, kind: parsed.data.kind, law: parsed.data.law, channel: parsed.data.channel, receivedAt: received, note: parsed.data.note }, c.get("viewer")!.personId);
    if (!result.ok) return render(c, 422, { form, errors: { email: result.reason === "erased" ? t.dataRights.queue.erasedRefused : t.dataRights.queue.noSuchClient } });
    return c.redirect("/admin/privacy/requests?done=recorded", 303);
  });

  app.post("/:id/close", allow(office), async (c) => {
    const t = c.get("t");
    const id = c.req.param("id");
    const parsed = closeRequestSchema.safeParse(await readForm(c));
    if (!getRequest(deps, id)) return c.notFound();
    if (!parsed.success) return render(c, 422, { closeError: { id, message: t.form.invalid } });
    const result = closeRequest(deps, id, { status: parsed.data.status, text: parsed.data.outcome }, c.get("viewer")!.personId, c.get("now"));
    if (!result.ok) {
      if (result.reason === "not-found") return c.notFound();
      if (result.reason === "closed") return render(c, 409, { message: t.dataRights.queue.alreadyClosed });
      return render(c, 422, { closeError: { id, message: t.dataRights.queue.reasonRequired } });
    }
    return c.redirect("/admin/privacy/requests?done=closed", 303);
  });

  // More time to answer, once, within the law's limit; the client is mailed the new date and the reason.
  app.post("/:id/extend", allow(office), async (c) => {
    const q = c.get("t").dataRights.queue;
    const id = c.req.param("id");
    if (!getRequest(deps, id)) return c.notFound();
    const parsed = extendRequestSchema.safeParse(await readForm(c));
    const until = parsed.success ? plainDate(parsed.data.until) : null;
    if (!parsed.success || !until) {
      const reasonMissing = !parsed.success && parsed.error.issues.some((i) => i.path[0] === "reason");
      return render(c, 422, { extendError: { id, message: reasonMissing ? q.extendReasonRequired : c.get("t").form.invalid } });
    }
    const result = extendRequest(deps, id, { until, reason: parsed.data.reason }, c.get("viewer")!.personId, c.get("now"));
    if (result.ok) return c.redirect("/admin/privacy/requests?done=extended", 303);
    if (result.reason === "not-found") return c.notFound();
    const day = (ms: number) => formatDueDay(c.get("locale"), orgTimeZone(deps.db), ms);
    const message = { closed: q.alreadyClosed, overdue: q.extendOverdue, "already-extended": q.extendAlready, "not-extendable": q.extendNotAllowed, "not-later": q.extendNotLater, "too-far": q.extendTooFar(day(result.latest ?? 0)) }[result.reason];
    // A date out of range is the form's error; a request that can no longer be extended has no form to show it in.
    return result.reason === "not-later" || result.reason === "too-far" ? render(c, 422, { extendError: { id, message } }) : render(c, 409, { message });
  });

  app.post("/:id/export", allow(adminOnly), (c) => {
    const t = c.get("t");
    const request = getRequest(deps, c.req.param("id"));
    if (!request) return c.notFound();
    const refusal = exportRefusal(request);
    if (refusal) return render(c, 409, { message: refusal === "closed" ? t.dataRights.queue.exportClosed : t.dataRights.queue.exportWrongKind });
    const reading = readingOf(deps.db, request.personId);
    const options = {
      locale: reading?.locale ?? c.get("locale"),
      timeZone: reading?.timeZone ?? orgTimeZone(deps.db),
      orgName: getOrgIdentity(deps.db)?.name ?? t.app.name,
      now: c.get("now"),
    };
    const response = downloadResponse(deps, request.personId, c.get("viewer")!.personId, options, { by: "staff", request: request.id });
    return response ?? render(c, 409, { message: t.dataRights.queue.erasedRefused });
  });

  return app;
}

function plainDate(text: string): Temporal.PlainDate | null {
  try {
    return Temporal.PlainDate.from(text, { overflow: "reject" });
  } catch {
    return null;
  }
}

/** The instant a request counts as received: now if dated today, else the start of that day on the organisation's clock. */
function receivedAt(date: string, zone: string, now: number): number | null {
  const day = plainDate(date);
  if (!day) return null;
  const today = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(zone).toPlainDate();
  const age = Temporal.PlainDate.compare(day, today);
  if (age > 0 || today.since(day).days > MAX_BACKDATE_DAYS) return null;
  return age === 0 ? now : day.toZonedDateTime({ timeZone: zone }).toInstant().epochMilliseconds;
}
