// The services admins offer (/admin/services): list, create, edit. Admins only; saving is audited by the service.
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { bookingProblems, formToServiceInput, serviceSchema } from "./booking.schema.ts";
import { type BookingRouteDeps, specialistsList } from "./route-helpers.tsx";
import { getSettings } from "../settings/settings.ts";
import { getService, listServices, saveService } from "./services.ts";
import { ServiceFormPage, ServicesPage, serviceFormValues } from "./views/admin-pages.tsx";

export function servicesRoutes(deps: BookingRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>, id: string | null, values: ReturnType<typeof serviceFormValues>, errors?: Record<string, string>, notice?: string, status: 200 | 201 | 422 = 200) =>
    c.html(<ServiceFormPage page={pageContext(c)} id={id} paymentsOn={deps.config.payments !== null} values={values} specialists={specialistsList(deps)} orgLanguage={orgLanguage()} errors={errors} notice={notice} />, status);
  const orgLanguage = () => getSettings(deps.db)?.language ?? "en";

  const save = async (c: Context<AppEnv>, id: string | null) => {
    const form = await readForm(c);
    const input = formToServiceInput(form);
    const parsed = serviceSchema(orgLanguage()).safeParse(input);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, c.get("t"), bookingProblems(c.get("t")));
      return page(c, id, { ...serviceFormValues(null), ...form, active: form.active === "on", specialistIds: input.specialistIds as string[] }, errors, undefined, 422);
    }
    const saved = saveService(deps, parsed.data, c.get("viewer")!.personId, id ?? undefined);
    return id ? page(c, saved.id, serviceFormValues(saved), undefined, c.get("t").people.saved) : c.redirect(`/admin/services/${saved.id}?created=1`, 303);
  };

  app.get("/", allow(adminOnly), (c) => c.html(<ServicesPage page={pageContext(c)} services={listServices(deps.db)} />));
  app.get("/new", allow(adminOnly), (c) => page(c, null, serviceFormValues(null)));
  app.post("/", allow(adminOnly), (c) => save(c, null));
  app.get("/:id", allow(adminOnly), (c) => {
    const service = getService(deps.db, c.req.param("id"));
    if (!service) return c.notFound();
    return page(c, service.id, serviceFormValues(service), undefined, c.req.query("created") ? c.get("t").people.saved : undefined);
  });
  app.post("/:id", allow(adminOnly), (c) => (getService(deps.db, c.req.param("id")) ? save(c, c.req.param("id")) : c.notFound()));
  return app;
}
