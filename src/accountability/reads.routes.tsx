// The who-read report: GET shows the form (and, with ?client=ID, the report); POST finds the client by email, so
// the address never enters a URL, and redirects to the report by id. Admins only: a DPO works as an admin.
import { Hono } from "hono";
import type { Context } from "hono";
import { findPersonByEmail } from "../people/people.ts";
import { AppError } from "../http/app-error.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { dateTimeFormat } from "../i18n/format.ts";
import type { Installation } from "../installation.ts";
import { getSettings } from "../settings/settings.ts";
import { csvDocument } from "../http/csv.ts";
import { parseDayRange, recentDays } from "./range.ts";
import { reportClientReads } from "./reads.ts";
import { describeRead, readerLabel, ReadsPage, type ReadsForm } from "./views/reads-page.tsx";

type ReadsDeps = Pick<Installation, "db" | "vault" | "auditHead">;

const ID = /^[0-9a-f-]{36}$/;

export function readsRoutes(deps: ReadsDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const zoneOf = () => getSettings(deps.db)?.timeZone ?? "UTC";
  const rangeOf = (c: Context<AppEnv>, form: ReadsForm) => {
    const range = parseDayRange(form.from, form.to, zoneOf());
    if (range.ok) return { range, errors: undefined };
    const words = c.get("t").accountability.reads.dateProblem;
    return { range: null, errors: { from: range.errors.from && words[range.errors.from], to: range.errors.to && words[range.errors.to] } };
  };
  const queryForm = (c: Context<AppEnv>): ReadsForm => {
    const recent = recentDays(c.get("now"), zoneOf(), 30);
    return { email: "", from: (c.req.query("from") ?? recent.from).slice(0, 10), to: (c.req.query("to") ?? recent.to).slice(0, 10) };
  };

  app.get("/", allow(adminOnly), (c) => {
    const form = queryForm(c);
    const clientId = c.req.query("client");
    if (clientId === undefined) return c.html(<ReadsPage page={pageContext(c)} form={form} timeZone={zoneOf()} />);
    const { range, errors } = rangeOf(c, form);
    if (!range) return c.html(<ReadsPage page={pageContext(c)} form={form} errors={errors} timeZone={zoneOf()} />, 422);
    const report = ID.test(clientId) ? reportClientReads(deps, { clientId, from: range.from, to: range.to, viewerId: c.get("viewer")!.personId, format: "page", now: c.get("now") }) : null;
    if (!report) return c.notFound();
    const csvHref = `/admin/accountability/reads/csv?${new URLSearchParams({ client: clientId, from: range.fromText, to: range.toText })}`;
    return c.html(<ReadsPage page={pageContext(c)} form={{ ...form, email: report.client.email }} report={report} timeZone={zoneOf()} csvHref={csvHref} />);
  });

  app.post("/", allow(adminOnly), async (c) => {
    const body = await readForm(c);
    const form: ReadsForm = { email: (body.email ?? "").trim().slice(0, 254), from: (body.from ?? "").trim().slice(0, 10), to: (body.to ?? "").trim().slice(0, 10) };
    const { range, errors } = rangeOf(c, form);
    const person = form.email ? findPersonByEmail(deps, form.email) : null;
    const emailError = form.email === "" ? c.get("t").form.required : person ? undefined : c.get("t").accountability.reads.notFound;
    if (!range || !person || emailError) {
      return c.html(<ReadsPage page={pageContext(c)} form={form} errors={{ ...errors, email: emailError }} timeZone={zoneOf()} />, 422);
    }
    return c.redirect(`/admin/accountability/reads?${new URLSearchParams({ client: person.id, from: range.fromText, to: range.toText })}`, 303);
  });

  app.get("/csv", allow(adminOnly), (c) => {
    const t = c.get("t");
    const clientId = c.req.query("client") ?? "";
    const form = { email: "", from: (c.req.query("from") ?? "").slice(0, 10), to: (c.req.query("to") ?? "").slice(0, 10) };
    const { range, errors } = rangeOf(c, form);
    if (!range) throw new AppError(400, errors?.from ?? errors?.to ?? t.errors.badRequestTitle);
    const report = ID.test(clientId) ? reportClientReads(deps, { clientId, from: range.from, to: range.to, viewerId: c.get("viewer")!.personId, format: "csv", now: c.get("now") }) : null;
    if (!report) return c.notFound();
    const r = t.accountability.reads;
    const page = pageContext(c);
    const zone = zoneOf();
    const when = dateTimeFormat(page, zone, true);
    const rows = report.entries.map((e) => [
      new Date(e.at).toISOString(),
      zone,
      e.actorId,
      readerLabel(page, e),
      e.actorRole ? t.roles[e.actorRole] : "",
      e.action,
      `${describeRead(page, e)} (${when.format(e.at)})`,
      e.breakGlass ? r.yes : r.no,
      Object.entries(e.details).map(([k, v]) => `${k}: ${v}`).join("; "),
      e.id,
    ]);
    // The file name carries ids and days only: it lands in download folders and browser histories.
    c.header("content-type", "text/csv; charset=utf-8");
    c.header("content-disposition", `attachment; filename="reads-${clientId.slice(0, 8)}-${range.fromText}-${range.toText}.csv"`);
    return c.body(csvDocument(r.csvHeader, rows));
  });

  return app;
}
