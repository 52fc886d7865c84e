// The booking flow (/book): service → specialist and day → time → confirm. The services and their free times are
// public: a visitor sees them without an account (free times only, nothing about anyone's appointments), and the
// confirmation asks them to create an account or sign in, then brings them back to the same time. Clients book for
// themselves; staff start by choosing the client (found by a search of their scope, or added on the way).
// Booking is checked, audited and mailed by the service.
import type { Queryable } from "../db/client.ts";
import { holdForPayment, openCheckout, type Payment, paysAtBooking } from "../payments/payments.ts";
import { formatPrice } from "./services.ts";
import { paymentProvider } from "../payments/provider.ts";
import type { Context } from "hono";
import { Hono } from "hono";
import { invitePerson } from "../accounts/people-admin.ts";
import { registrationOpen } from "../accounts/registration.ts";
import { bookingRefusal } from "../consent/refusals.tsx";
import { AppError } from "../http/app-error.ts";
import { allow, anyone, everyone, rememberReturnPath, staffOnly } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { setPersonPreferences } from "../people/people.ts";
import { type Appointment, book } from "./appointments.ts";
import { bookingProblems, clientChoiceSchema, newClientSchema, parseInstant, seriesSchema, slotFormSchema } from "./booking.schema.ts";
import { chooseClient, clientChoiceToken, clientOfChoiceToken, searchClients } from "./clients.ts";
import { isOffered, nearestFreeDay } from "./free-days.ts";
import { actorOf, addressFor, type BookingRouteDeps, chooseTime, dateOf, mayIgnoreNotice, namesOf, signedInViewer, viewerZone } from "./route-helpers.tsx";
import { getService, listServices, type Service } from "./services.ts";
import { ChooseClientPage, ChooseServicePage, ClientMatches, ConfirmPage, type Named } from "./views/booking-pages.tsx";

/** Where the client fields search (POST: the typed name never appears in a URL). */
const CLIENT_SEARCH = "/book/clients/search";

interface Booking {
  service: Service;
  specialistId: string;
  start: number;
  zone: string;
}

type ConfirmOptions = { errors?: Record<string, string>; values?: Record<string, string>; notice?: string; forClient?: Named | null; signIn?: { returnPath: string; canRegister: boolean } };

export function bookRoutes(deps: BookingRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const bookable = (c: Context<AppEnv>): Service | null => {
    const service = getService(deps.db, c.req.param("serviceId") ?? "");
    return service?.active && service.specialistIds.length ? service : null;
  };
  /** The client staff chose first, carried as `for` (a token bound to them: clients.ts); null for anyone else. */
  const chosenClient = (c: Context<AppEnv>, token: string | undefined): (Named & { personId: string }) | null => {
    const viewer = signedInViewer(c);
    const person = viewer && viewer.role !== "client" ? clientOfChoiceToken(deps, actorOf(c), token) : null;
    return person && token ? { id: token, name: person.name, personId: person.id } : null;
  };
  /** The confirmation page of a new booking, as first shown or again with the form's errors or a notice. */
  const confirmPage = (c: Context<AppEnv>, b: Booking, o: ConfirmOptions = {}, status: 200 | 201 | 422 = 200) =>
    c.html(
      <ConfirmPage
        page={pageContext(c)}
        service={b.service}
        specialist={namesOf(deps, [b.specialistId])[0]!}
        start={b.start}
        timeZone={b.zone}
        clientSearch={signedInViewer(c)?.role === "client" || o.signIn ? null : CLIENT_SEARCH}
        address={addressFor(deps, b.service)}
        errors={o.errors}
        values={o.values}
        notice={o.notice}
        forClient={o.forClient}
        signIn={o.signIn}
        paysNow={
          // Only a client booking for themself pays now (staff booking for a client settle payment with them otherwise).
          deps.config.payments && paysAtBooking(deps.config, b.service) && (o.signIn || signedInViewer(c)?.role === "client")
            ? { price: formatPrice(b.service, c.get("locale")) ?? "", provider: deps.config.payments.provider, holdMinutes: deps.config.payments.holdMinutes }
            : null
        }
      />,
      status,
    );

  /** The time page; after a lost race or a stale link it keeps what was chosen (specialist, zone, day) and says what happened. */
  const timePage = (c: Context<AppEnv>, service: Service, lost?: { message: string; specialist: string; zone: string; day: Temporal.PlainDate; status: 200 | 409; forClient: Named | null }) => {
    const asked = lost?.specialist ?? c.req.query("specialist") ?? "any";
    const specialist = asked === "any" || service.specialistIds.includes(asked) ? asked : "any";
    const forClient = lost ? lost.forClient : chosenClient(c, c.req.query("for"));
    return chooseTime(deps, c, { service, specialist, specialists: namesOf(deps, service.specialistIds), day: lost?.day, zone: lost?.zone, message: lost?.message, status: lost?.status, forClient });
  };

  /** The time page at the nearest free times after the one asked for, saying that it is gone. */
  const slotGone = (c: Context<AppEnv>, service: Service, s: { message: string; specialist: string; start: number; zone: string; status: 200 | 409; forClient: Named | null }) => {
    const now = Temporal.Instant.fromEpochMilliseconds(deps.clock.now());
    const from = dateOf(s.start, s.zone);
    const day = nearestFreeDay(deps.db, { service, specialistId: s.specialist, from, timeZone: s.zone, now, ignoreNotice: mayIgnoreNotice(c) }) ?? from;
    return timePage(c, service, { message: s.message, specialist: s.specialist, zone: s.zone, day, status: s.status, forClient: s.forClient });
  };

  /** The slot the form carries, for a bookable service: a tampered one is a bad request. */
  const slotOf = (c: Context<AppEnv>, service: Service, form: Record<string, string>, o: { anySpecialist: boolean }) => {
    const slot = slotFormSchema.safeParse(form);
    const fits = slot.success && (service.specialistIds.includes(slot.data.specialist) || (o.anySpecialist && slot.data.specialist === "any"));
    if (!fits) throw new AppError(400, c.get("t").errors.badRequestTitle);
    return { start: slot.data.start, specialist: slot.data.specialist, zone: slot.data.tz ?? viewerZone(deps, c) };
  };

  // Public: the services. Staff booking for someone begin with the client (below), then come here with `for`.
  app.get("/", allow(anyone), (c) => {
    const viewer = signedInViewer(c);
    const forClient = chosenClient(c, c.req.query("for"));
    if (viewer && viewer.role !== "client" && !forClient) return c.redirect("/book/client", 303);
    const notice = forClient && c.req.query("added") ? (deps.config.smtp ? c.get("t").booking.book.clientAddedMailed : c.get("t").booking.book.clientAdded) : undefined;
    return c.html(<ChooseServicePage page={pageContext(c)} services={listServices(deps.db).filter((s) => s.active && s.specialistIds.length)} forClient={forClient} notice={notice} />);
  });

  // Staff find the client to book for as they type: a few matches of their scope, each search audited (clients.ts).
  app.post("/clients/search", allow(staffOnly), async (c) => {
    const { clientEmail } = clientChoiceSchema.parse(await readForm(c));
    return c.html(<ClientMatches matches={searchClients(deps, actorOf(c), clientEmail)} />);
  });

  // Staff booking for a client: first, who it is for.
  app.get("/client", allow(staffOnly), (c) => c.html(<ChooseClientPage page={pageContext(c)} search={CLIENT_SEARCH} />));

  app.post("/client", allow(staffOnly), async (c) => {
    const form = await readForm(c);
    const client = chooseClient(deps, actorOf(c), clientChoiceSchema.parse(form));
    if (!client) return c.html(<ChooseClientPage page={pageContext(c)} search={CLIENT_SEARCH} errors={{ client: c.get("t").booking.book.chooseClientError }} values={form} />, 422);
    return c.redirect(`/book?${new URLSearchParams({ for: clientChoiceToken(deps, actorOf(c), client.id) })}`, 303);
  });

  // Someone new on the phone: staff add them (they are mailed an invitation), and go on booking for them.
  app.post("/client/new", allow(staffOnly), async (c) => {
    const form = await readForm(c);
    const t = c.get("t");
    const parsed = newClientSchema.safeParse(form);
    const invalid = (errors: Record<string, string>) => c.html(<ChooseClientPage page={pageContext(c)} search={CLIENT_SEARCH} errors={errors} values={form} />, 422);
    if (!parsed.success) return invalid(fieldErrors(parsed.error, t));
    const result = invitePerson(deps, { name: parsed.data.newName, email: parsed.data.newEmail, role: "client" }, c.get("viewer")!.personId);
    if (result.kind === "email-taken") return invalid({ newEmail: t.booking.book.clientExists });
    return c.redirect(`/book?${new URLSearchParams({ for: clientChoiceToken(deps, actorOf(c), result.personId), added: "1" })}`, 303);
  });

  app.get("/:serviceId", allow(anyone), (c) => {
    const service = bookable(c);
    return service ? timePage(c, service) : c.notFound();
  });

  app.get("/:serviceId/confirm", allow(anyone), (c) => {
    const service = bookable(c);
    const start = parseInstant(c.req.query("start"));
    const specialist = c.req.query("specialist") ?? "";
    if (!service || start === null || !service.specialistIds.includes(specialist)) return c.notFound();
    const zone = viewerZone(deps, c);
    const forClient = chosenClient(c, c.req.query("for"));
    // Taken since the times were shown (or while the visitor made an account): the nearest free times instead.
    const now = Temporal.Instant.fromEpochMilliseconds(deps.clock.now());
    if (!isOffered(deps.db, { service, specialistId: specialist, start, now, ignoreNotice: mayIgnoreNotice(c) })) {
      return slotGone(c, service, { message: c.get("t").booking.book.slotGone, specialist, start, zone, status: 200, forClient });
    }
    const booking = { service, specialistId: specialist, start, zone };
    if (!signedInViewer(c)) {
      // Rebuilt from the checked values, not copied from the request: short, a plain path, nothing else carried along.
      const returnPath = `/book/${service.id}/confirm?${new URLSearchParams({ start: String(start), specialist, tz: zone })}`;
      rememberReturnPath(c, returnPath);
      return confirmPage(c, booking, { signIn: { returnPath, canRegister: registrationOpen(deps) } });
    }
    return confirmPage(c, booking, { forClient });
  });

  // Staff add a client who is not in the list yet (someone new on the phone), then book for them on the same page.
  app.post("/:serviceId/client", allow(staffOnly), async (c) => {
    const service = bookable(c);
    if (!service) return c.notFound();
    const form = await readForm(c);
    const t = c.get("t");
    const slot = slotOf(c, service, form, { anySpecialist: false });
    const page = (o: ConfirmOptions, status: 201 | 422) => confirmPage(c, { service, specialistId: slot.specialist, start: slot.start, zone: slot.zone }, o, status);
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
    const forClient = chosenClient(c, form.for);
    const client = actor.role === "client" ? { id: actor.personId } : forClient ? { id: forClient.personId } : chooseClient(deps, actor, clientChoiceSchema.parse(form));
    const series = seriesSchema.safeParse(form);
    if (!client || !series.success) {
      const errors = { ...(client ? {} : { client: t.booking.book.chooseClientError }), ...(series.success ? {} : fieldErrors(series.error, t, bookingProblems(t))) };
      return confirmPage(c, { service, specialistId: specialist === "any" ? service.specialistIds[0]! : specialist, start, zone }, { errors, values: form, forClient }, 422);
    }
    const repeat = series.data;
    const refused = bookingRefusal(c, deps.db, client.id); // consent to processing withdrawn: nothing new is booked
    if (refused) return refused;
    // A client booking a service paid at booking: the time is held for the payment (staff booking for a client on the
    // phone settle payment with them otherwise).
    const now = deps.clock.now();
    let held: Payment | null = null;
    const alsoInTransaction = actor.role === "client" && paysAtBooking(deps.config, service) ? (tx: Queryable, booked: readonly Appointment[]) => void (held = holdForPayment(tx, deps, service, booked, now)) : undefined;
    const result = book(deps, { serviceId: service.id, specialistId: specialist, start, clientId: client.id, actor, repeat: repeat ?? undefined, alsoInTransaction }, now);
    if (!result.ok) {
      const message = result.reason === "restricted" ? t.retention.holds.bookingRestricted : result.reason === "taken" && result.takenDates?.length && repeat ? t.booking.book.takenDates(result.takenDates.join(", ")) : t.booking.book.taken;
      return slotGone(c, service, { message, specialist, start, zone, status: 409, forClient });
    }
    if (actor.role === "client") setPersonPreferences(deps.db, actor.personId, { timeZone: zone, locale: c.get("locale") });
    const payment = held as Payment | null;
    if (payment && deps.config.payments) {
      // The provider's page is opened now, so the next page leads straight to it; if the provider is down, that page
      // says so and offers to try again while the time is held.
      await openCheckout(deps, paymentProvider(deps.config.payments), payment.id, service.name[c.get("locale")]);
      return c.redirect(`/payments/${payment.id}`, 303);
    }
    return c.redirect(`/appointments/${result.appointments[0]!.id}?booked=${result.appointments.length}`, 303);
  });
  return app;
}
