// Working hours (/hours): a specialist sets their own; an admin chooses whose. Saving is audited by the service.
import type { Context } from "hono";
import { Hono } from "hono";
import { allow, hostsOnly } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { availabilityOrDefault, saveAvailability } from "./availability.ts";
import { availabilitySchema, bookingProblems } from "./booking.schema.ts";
import { type BookingRouteDeps, specialistsList } from "./route-helpers.tsx";
import { ServicesPage } from "./views/admin-pages.tsx";
import { HoursPage, type Named } from "./views/booking-pages.tsx";

export function hoursRoutes(deps: BookingRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  /** Whose hours: the specialist themself, or for an admin the specialist named in the query (default: the first). */
  const whose = (c: Context<AppEnv>): { whose: Named; specialists: Named[] | null } | null => {
    const viewer = c.get("viewer")!;
    if (viewer.role === "specialist") return { whose: { id: viewer.personId, name: viewer.name }, specialists: null };
    const specialists = specialistsList(deps);
    const asked = c.req.query("specialist");
    const chosen = asked ? specialists.find((s) => s.id === asked) : specialists[0];
    return chosen ? { whose: chosen, specialists } : null;
  };

  app.get("/", allow(hostsOnly), (c) => {
    const w = whose(c);
    if (!w) return c.req.query("specialist") ? c.notFound() : c.html(<ServicesPage page={pageContext(c)} services={[]} notice={c.get("t").booking.hours.noSpecialists} />);
    return c.html(<HoursPage page={pageContext(c)} whose={w.whose} specialists={w.specialists} availability={availabilityOrDefault(deps.db, w.whose.id)} />);
  });

  app.post("/", allow(hostsOnly), async (c) => {
    const w = whose(c);
    if (!w) return c.notFound();
    const form = await readForm(c);
    const parsed = availabilitySchema.safeParse(form);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, c.get("t"), bookingProblems(c.get("t")));
      return c.html(<HoursPage page={pageContext(c)} whose={w.whose} specialists={w.specialists} availability={availabilityOrDefault(deps.db, w.whose.id)} values={form} errors={errors} />, 422);
    }
    saveAvailability(deps, w.whose.id, parsed.data, c.get("viewer")!.personId);
    return c.html(<HoursPage page={pageContext(c)} whose={w.whose} specialists={w.specialists} availability={parsed.data} notice={c.get("t").booking.hours.saved} />);
  });
  return app;
}
