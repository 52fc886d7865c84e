// The booking flow (/book): service → specialist and day → time → confirm. Clients book for themselves; staff book
// for a client (found by a search of their scope), and may add a new client on the way. Booking is checked, audited and mailed by the service.
import type { Context } from "hono";
import { Hono } from "hono";
import { invitePerson } from "../accounts/people-admin.ts";
import { AppError } from "../http/app-error.ts";
import { allow, everyone, staffOnly } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { setPersonPreferences } from "../people/people.ts";
import { book } from "./appointments.ts";
import { bookingProblems, clientChoiceSchema, newClientSchema, parseInstant, seriesSchema, slotFormSchema } from "./booking.schema.ts";
import { chooseClient, searchClients } from "./clients.ts";
import { actorOf, addressFor, type BookingRouteDeps, chooseTime, dateOf, namesOf, viewerZone } from "./route-helpers.tsx";
import { getService, listServices, type Service } from "./services.ts";
import { ChooseServicePage, ClientMatches, ConfirmPage } from "./views/booking-pages.tsx";

/** Where the confirmation page's client field searches (POST: the typed name never appears in a URL). */
const CLIENT_SEARCH = "/book/clients/search";

interface Booking {
  service: Service;
  specialistId: string;
  start: number;
  zone: string;
}

export function bookRoutes(deps: BookingRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const bookable = (c: Context<AppEnv>): Service | null => {
    const service = getService(deps.db, c.req.param("serviceId") ?? "");
    return service?.active && service.specialistIds.length ? service : null;
  };
  /** The confirmation page of a new booking, as first shown or again with the form's errors or a notice. */
  const confirmPage = (c: Context<AppEnv>, b: Booking, o: { errors?: Record<string, string>; values?: Record<string, string>; notice?: string } = {}, status: 200 | 201 | 422 = 200) =>
    c.html(
      <ConfirmPage
        page={pageContext(c)}
        service={b.service}
        specialist={namesOf(deps, [b.specialistId])[0]!}
        start={b.start}
        timeZone={b.zone}
        clientSearch={c.get("viewer")!.role === "client" ? null : CLIENT_SEARCH}
        address={addressFor(deps, b.service)}
        errors={o.errors}
        values={o.values}
        notice={o.notice}
      />,
      status,
    );

  /** The time page; after a lost race it keeps what the form chose (specialist, zone, day) and says what happened. */
  const timePage = (c: Context<AppEnv>, service: Service, lost?: { message: string; specialist: string; zone: string; day: Temporal.PlainDate }) => {
    const asked = lost?.specialist ?? c.req.query("specialist") ?? "any";
    const specialist = asked === "any" || service.specialistIds.includes(asked) ? asked : "any";
    return chooseTime(deps, c, { service, specialist, specialists: namesOf(deps, service.specialistIds), day: lost?.day, zone: lost?.zone, message: lost?.message, status: lost ? 409 : 200 });
  };

  /** The slot the form carries, for a bookable service: a tampered one is a bad request. */
  const slotOf = (c: Context<AppEnv>, service: Service, form: Record<string, string>, o: { anySpecialist: boolean }) => {
    const slot = slotFormSchema.safeParse(form);
    const fits = slot.success && (service.specialistIds.includes(slot.data.specialist) || (o.anySpecialist && slot.data.specialist === "any"));
    if (!fits) throw new AppError(400, c.get("t").errors.badRequestTitle);
    return { start: slot.data.start, specialist: slot.data.specialist, zone: slot.data.tz ?? viewerZone(deps, c) };
  };

  app.get("/", allow(everyone), (c) => c.html(<ChooseServicePage page={pageContext(c)} services={listServices(deps.db).filter((s) => s.active && s.specialistIds.length)} />));

  // Staff find the client to book for as they type: a few matches of their scope, each search audited (clients.ts).
  app.post("/clients/search", allow(staffOnly), async (c) => {
    const { clientEmail } = clientChoiceSchema.parse(await readForm(c));
    return c.html(<ClientMatches matches={searchClients(deps, actorOf(c), clientEmail)} />);
  });

  app.get("/:serviceId", allow(everyone), (c) => {
    const service = bookable(c);
    return service ? timePage(c, service) : c.notFound();
  });

  app.get("/:serviceId/confirm", allow(everyone), (c) => {
    const service = bookable(c);
    const start = parseInstant(c.req.query("start"));
    const specialist = c.req.query("specialist") ?? "";
    if (!service || start === null || !service.specialistIds.includes(specialist)) return c.notFound();
    return confirmPage(c, { service, specialistId: specialist, start, zone: viewerZone(deps, c) });
  });

  // Staff add a client who is not in the list yet (someone new on the phone), then book for them on the same page.
  app.post("/:serviceId/client", allow(staffOnly), async (c) => {
    const service = bookable(c);
    if (!service) return c.notFound();
    const form = await readForm(c);
    const t = c.get("t");
    const slot = slotOf(c, service, form, { anySpecialist: false });
    const page = (o: Parameters<typeof confirmPage>[2], status: 201 | 422) => confirmPage(c, { service, specialistId: slot.specialist, start: slot.start, zone: slot.zone }, o, status);
    const parsed = newClientSchema.safeParse(form);
    if (!parsed.success) return page({ errors: fieldErrors(parsed.error, t), values: form }, 422);
    const result = invitePerson(deps, { name: parsed.data.newName, email: parsed.data.newEmail, role: "client" }, c.get("viewer")!.personId);
    if (result.kind === "email-taken") return page({ errors: { newEmail: t.booking.book.clientExists }, values: form }, 422);
    return page({ values: { clientEmail: parsed.data.newEmail }, notice: deps.config.smtp ? t.booking.book.clientAddedMailed : t.booking.book.clientAdded }, 201);
  });

  app.post("/:serviceId", allow(everyone), async (c) => {
    const service = bookable(c);
    if (!service) return c.notFound();
    const form = await readForm(c);
    const t = c.get("t");
    const actor = actorOf(c);
    const { start, specialist, zone } = slotOf(c, service, form, { anySpecialist: true });
    const client = actor.role === "client" ? { id: actor.personId } : chooseClient(deps, actor, clientChoiceSchema.parse(form));
    const series = seriesSchema.safeParse(form);
    if (!client || !series.success) {
      const errors = { ...(client ? {} : { client: t.booking.book.chooseClientError }), ...(series.success ? {} : fieldErrors(series.error, t, bookingProblems(t))) };
      return confirmPage(c, { service, specialistId: specialist === "any" ? service.specialistIds[0]! : specialist, start, zone }, { errors, values: form }, 422);
    }
    const repeat = series.data;
    const result = book(deps, { serviceId: service.id, specialistId: specialist, start, clientId: client.id, actor, repeat: repeat ?? undefined }, deps.clock.now());
    if (!result.ok) {
      const message = result.reason === "taken" && result.takenDates?.length && repeat ? t.booking.book.takenDates(result.takenDates.join(", ")) : t.booking.book.taken;
      return timePage(c, service, { message, specialist, zone, day: dateOf(start, zone) });
    }
    if (actor.role === "client") setPersonPreferences(deps.db, actor.personId, { timeZone: zone, locale: c.get("locale") });
    return c.redirect(`/appointments/${result.appointments[0]!.id}?booked=${result.appointments.length}`, 303);
  });
  return app;
}
