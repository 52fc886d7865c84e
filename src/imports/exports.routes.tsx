// Export of appointments for accounting (/admin/exports): the form, and the CSV it downloads. Admins only.
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { listPeople } from "../people/people.ts";
import { HOST_ROLES } from "../roles.ts";
import { EXPORT_MAX_DAYS, EXPORT_SEPARATORS, type ExportDeps, type ExportRequest, exportAppointments, exportZone } from "./appointments-export.ts";
import { ExportPage, type ExportValues } from "./views/export-page.tsx";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function exportRoutes(deps: ExportDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const hosts = () => listPeople(deps).filter((p) => HOST_ROLES.includes(p.role) && !p.erased).map((p) => ({ id: p.id, name: p.name }));
  const page = (c: Context<AppEnv>, values: ExportValues, errors: Record<string, string> = {}, status: 200 | 422 = 200) =>
    c.html(<ExportPage page={pageContext(c)} zone={exportZone(deps)} specialists={hosts()} values={values} errors={errors} />, status);

  app.get("/", allow(adminOnly), (c) => {
    // The last full month, the usual accounting period.
    const today = Temporal.Instant.fromEpochMilliseconds(c.get("now")).toZonedDateTimeISO(exportZone(deps)).toPlainDate();
    const first = today.with({ day: 1 }).subtract({ months: 1 });
    return page(c, { from: first.toString(), to: first.add({ months: 1 }).subtract({ days: 1 }).toString(), specialist: "", separator: "comma" });
  });

  app.get("/appointments.csv", allow(adminOnly), (c) => {
    const t = c.get("t").imports.export;
    const values = { from: (c.req.query("from") ?? "").slice(0, 10), to: (c.req.query("to") ?? "").slice(0, 10), specialist: (c.req.query("specialist") ?? "").slice(0, 36), separator: (c.req.query("separator") ?? "comma").slice(0, 16) };
    const day = (s: string) => {
      try {
        return DAY.test(s) ? Temporal.PlainDate.from(s, { overflow: "reject" }) : null;
      } catch {
        return null;
      }
    };
    const from = day(values.from);
    const to = day(values.to);
    const errors: Record<string, string> = {};
    if (!from) errors.from = t.badDay;
    if (!to) errors.to = t.badDay;
    else if (from && Temporal.PlainDate.compare(to, from) < 0) errors.to = t.toBeforeFrom;
    else if (from && from.until(to).days + 1 > EXPORT_MAX_DAYS) errors.to = t.tooLong(EXPORT_MAX_DAYS);
    if (values.specialist && !hosts().some((h) => h.id === values.specialist)) errors.specialist = c.get("t").form.invalid;
    const separator = EXPORT_SEPARATORS.find((s) => s === values.separator);
    if (!separator) errors.separator = c.get("t").form.invalid;
    if (!from || !to || !separator || Object.keys(errors).length > 0) return page(c, values, errors, 422);
    const req: ExportRequest = { from, to, specialistId: values.specialist || null, separator };
    const out = exportAppointments(deps, req, c.get("viewer")!.personId, c.get("t"), c.get("locale"), c.get("now"));
    // The file name carries days only: it lands in download folders and browser histories.
    return c.body(out.body, 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${out.fileName}"` });
  });

  return app;
}
