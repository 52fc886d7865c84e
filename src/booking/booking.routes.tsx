// Booking over HTTP: services (admins), working hours (specialists, admins for anyone), the booking flow (clients,
// and staff for a client), appointments, the schedule (staff roles), calendar feeds, and the mail queue (admins).
// An appointment the viewer may not see is a 404, as if it did not exist.
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { invitePerson } from "../accounts/people-admin.ts";
import { recordAudit, searchAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { AppError } from "../http/app-error.ts";
import { adminOnly, allow, anyone, everyone, staffOnly } from "../http/access.ts";
import type { AppEnv, Viewer } from "../http/env.ts";
import { emailSchema, fieldErrors, nameSchema, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { jobCounts, listJobs, retryJob } from "../jobs/queue.ts";
import { findPersonByEmail, getPerson, listPeople, personName, personPreferences, setPersonPreferences } from "../people/people.ts";
import type { LiveRooms } from "../rooms/live-rooms.ts";
import { getSettings, isTimeZone } from "../settings/settings.ts";
import {
  type Actor,
  type Appointment,
  appointmentRoom,
  auditView,
  book,
  cancelAppointment,
  cancelReasonOf,
  getAppointment,
  joinWindowOpen,
  laterInSeries,
  listAppointments,
  markNoShow,
  MAX_SERIES,
  mayChange,
  mayView,
  offeredSlots,
  rescheduleAppointment,
} from "./appointments.ts";
import { defaultAvailability, getAvailability, parseAvailabilityForm, saveAvailability } from "./availability.ts";
import { appointmentEvent, personZone } from "./booking-mail.ts";
import { createFeed, currentFeedToken, feedOwner, feedUrl, revokeFeed } from "./feeds.ts";
import { calendarFile } from "./ics.ts";
import { formToServiceInput, getService, listServices, saveService, type Service, serviceSchema } from "./services.ts";
import { JobsPage, ServiceFormPage, ServicesPage, serviceFormValues } from "./views/admin-pages.tsx";
import { AppointmentGone, AppointmentPage, AppointmentsPage, type AppointmentView, ChooseServicePage, ChooseTimePage, ConfirmPage, HoursPage, type Named } from "./views/booking-pages.tsx";
import { type ScheduleEntry, SchedulePage } from "./views/schedule-page.tsx";

type Deps = Pick<Installation, "db" | "vault" | "config" | "log" | "mailer">;

const DAYS_SHOWN = 7;
const newClientSchema = z.object({ newName: nameSchema, newEmail: emailSchema });
const hosts = { who: "roles", roles: ["admin", "specialist"] } as const;

function actorOf(c: Context<AppEnv>): Actor & { viewer: Viewer } {
  const viewer = c.get("viewer")!;
  return { personId: viewer.personId, role: viewer.role, viewer };
}

/** The zone the viewer reads times in: asked for in the query, else their own, else the organisation's. */
function viewerZone(deps: Deps, c: Context<AppEnv>): string {
  const asked = c.req.query("tz");
  if (asked && isTimeZone(asked)) return asked;
  return personZone(deps.db, c.get("viewer")!.personId);
}

function parseDay(text: string | undefined, fallback: Temporal.PlainDate): Temporal.PlainDate {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return fallback;
  try {
    return Temporal.PlainDate.from(text, { overflow: "reject" });
  } catch {
    return fallback;
  }
}

function parseInstant(text: string | undefined): number | null {
  if (!text || !/^\d{12,14}$/.test(text)) return null;
  return Number(text);
}

/** Where an in-person service takes place (the organisation's address), or null. */
function addressFor(deps: Deps, service: Service | null): string | null {
  return service?.mode === "in-person" ? getSettings(deps.db)?.address || null : null;
}

function namesOf(deps: Deps, ids: readonly string[]): Named[] {
  return ids.map((id) => ({ id, name: personName(deps, id) ?? "—" }));
}

function specialistsList(deps: Deps): Named[] {
  return listPeople(deps)
    .filter((p) => p.role === "specialist")
    .map((p) => ({ id: p.id, name: p.name }));
}

function viewOf(deps: Deps, c: Context<AppEnv>, a: Appointment, cache = new Map<string, string>(), services = new Map<string, Service | null>()): AppointmentView {
  const locale = c.get("locale");
  const name = (id: string) => {
    if (!cache.has(id)) cache.set(id, personName(deps, id) ?? "—");
    return cache.get(id)!;
  };
  if (!services.has(a.serviceId)) services.set(a.serviceId, getService(deps.db, a.serviceId));
  const service = services.get(a.serviceId);
  return { ...a, serviceName: service?.name[locale] ?? "—", online: service?.mode === "online", specialistName: name(a.specialistId), clientName: name(a.clientId) };
}

/**
 * The day-and-time choice, for a new booking or for moving an appointment (whose own span then counts as free): the
 * week's days from today on, and the free times of the chosen day in the viewer's zone.
 */
function chooseTime(
  deps: Deps,
  c: Context<AppEnv>,
  o: { service: Service; specialist: string; specialists: Named[]; day?: Temporal.PlainDate; zone?: string; reschedule?: Appointment; message?: string; status?: 200 | 409 },
) {
  const zone = o.zone ?? viewerZone(deps, c);
  const today = Temporal.Now.plainDateISO(zone);
  const chosen = o.day ?? parseDay(c.req.query("day"), today);
  const first = Temporal.PlainDate.compare(chosen, today) < 0 ? today : chosen;
  const slots = offeredSlots(deps.db, {
    service: o.service,
    specialistId: o.specialist,
    day: first,
    timeZone: zone,
    now: Temporal.Now.instant(),
    except: o.reschedule?.id,
    ignoreNotice: c.get("viewer")!.role !== "client", // staff may book inside the notice, e.g. on the phone
  });
  const weekStart = first.subtract({ days: (first.dayOfWeek + 6) % 7 });
  const days = Array.from({ length: DAYS_SHOWN }, (_, i) => weekStart.add({ days: i })).filter((d) => Temporal.PlainDate.compare(d, today) >= 0);
  return c.html(
    <ChooseTimePage
      page={pageContext(c)}
      service={o.service}
      specialists={o.specialists}
      specialist={o.specialist}
      day={first}
      days={days}
      timeZone={zone}
      slots={slots.map((s) => ({ start: s.start.epochMilliseconds, specialistId: s.specialistId }))}
      reschedule={o.reschedule ? { appointmentId: o.reschedule.id } : undefined}
      message={o.message}
      detectZone={c.req.method === "GET" && !o.reschedule && !c.req.query("tz") && !personPreferences(deps.db, c.get("viewer")!.personId)?.timeZone}
    />,
    o.status ?? 200,
  );
}

// ── services (admins) ──

export function servicesRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>, id: string | null, values: ReturnType<typeof serviceFormValues>, errors?: Record<string, string>, notice?: string, status: 200 | 201 | 422 = 200) =>
    c.html(<ServiceFormPage page={pageContext(c)} id={id} values={values} specialists={specialistsList(deps)} errors={errors} notice={notice} />, status);

  app.get("/", allow(adminOnly), (c) => c.html(<ServicesPage page={pageContext(c)} services={listServices(deps.db)} />));
  app.get("/new", allow(adminOnly), (c) => page(c, null, serviceFormValues(null)));
  const save = async (c: Context<AppEnv>, id: string | null) => {
    const form = await readForm(c);
    const input = formToServiceInput(form);
    const parsed = serviceSchema.safeParse(input);
    if (!parsed.success) {
      const t = c.get("t");
      const errors = fieldErrors(parsed.error, t, { durationRange: t.booking.services.durationRange, price: t.booking.services.priceHint });
      return page(c, id, { ...serviceFormValues(null), ...form, active: form.active === "on", specialistIds: input.specialistIds as string[] }, errors, undefined, 422);
    }
    const saved = saveService(deps, parsed.data, c.get("viewer")!.personId, id ?? undefined);
    return id ? page(c, saved.id, serviceFormValues(saved), undefined, c.get("t").people.saved) : c.redirect(`/admin/services/${saved.id}?created=1`, 303);
  };
  app.post("/", allow(adminOnly), (c) => save(c, null));
  app.get("/:id", allow(adminOnly), (c) => {
    const service = getService(deps.db, c.req.param("id"));
    if (!service) return c.notFound();
    return page(c, service.id, serviceFormValues(service), undefined, c.req.query("created") ? c.get("t").people.saved : undefined);
  });
  app.post("/:id", allow(adminOnly), (c) => (getService(deps.db, c.req.param("id")) ? save(c, c.req.param("id")) : c.notFound()));
  return app;
}

// ── working hours (a specialist's own; admins choose whose) ──

export function hoursRoutes(deps: Deps): Hono<AppEnv> {
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
  app.get("/", allow(hosts), (c) => {
    const w = whose(c);
    if (!w) return c.req.query("specialist") ? c.notFound() : c.html(<ServicesPage page={pageContext(c)} services={[]} notice={c.get("t").booking.hours.noSpecialists} />);
    const av = getAvailability(deps.db, w.whose.id) ?? defaultAvailability(getSettings(deps.db)?.timeZone ?? "UTC");
    return c.html(<HoursPage page={pageContext(c)} whose={w.whose} specialists={w.specialists} availability={av} />);
  });
  app.post("/", allow(hosts), async (c) => {
    const w = whose(c);
    if (!w) return c.notFound();
    const form = await readForm(c);
    const parsed = parseAvailabilityForm(form, c.get("t"));
    const current = getAvailability(deps.db, w.whose.id) ?? defaultAvailability(getSettings(deps.db)?.timeZone ?? "UTC");
    if (!parsed.ok) {
      return c.html(<HoursPage page={pageContext(c)} whose={w.whose} specialists={w.specialists} availability={current} values={form} errors={parsed.errors} />, 422);
    }
    saveAvailability(deps, w.whose.id, parsed.value, c.get("viewer")!.personId);
    return c.html(<HoursPage page={pageContext(c)} whose={w.whose} specialists={w.specialists} availability={parsed.value} notice={c.get("t").booking.hours.saved} />);
  });
  return app;
}

// ── booking ──

export function bookRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const bookable = (c: Context<AppEnv>): Service | null => {
    const service = getService(deps.db, c.req.param("serviceId") ?? "");
    return service?.active && service.specialistIds.length ? service : null;
  };
  const clientsFor = (viewer: Viewer): (Named & { email: string })[] | null =>
    viewer.role === "client"
      ? null
      : listPeople(deps)
          .filter((p) => p.role === "client")
          .map((p) => ({ id: p.id, name: p.name, email: p.email }));

  /** The confirmation page of a new booking, as first shown or again with the form's errors or a notice. */
  const confirmPage = (
    c: Context<AppEnv>,
    b: { service: Service; specialistId: string; start: number; zone: string },
    o: { errors?: Record<string, string>; values?: Record<string, string>; notice?: string } = {},
    status: 200 | 201 | 422 = 200,
  ) =>
    c.html(
      <ConfirmPage
        page={pageContext(c)}
        service={b.service}
        specialist={namesOf(deps, [b.specialistId])[0]!}
        start={b.start}
        timeZone={b.zone}
        clients={clientsFor(c.get("viewer")!)}
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

  app.get("/", allow(everyone), (c) => c.html(<ChooseServicePage page={pageContext(c)} services={listServices(deps.db).filter((s) => s.active && s.specialistIds.length)} />));

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
    const start = parseInstant(form.start);
    const specialist = form.specialist ?? "";
    if (start === null || !service.specialistIds.includes(specialist)) throw new AppError(400, t.errors.badRequestTitle);
    const booking = { service, specialistId: specialist, start, zone: form.tz && isTimeZone(form.tz) ? form.tz : viewerZone(deps, c) };
    const page = (o: Parameters<typeof confirmPage>[2], status: 201 | 422) => confirmPage(c, booking, o, status);
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
    const start = parseInstant(form.start);
    const specialist = form.specialist === "any" || service.specialistIds.includes(form.specialist ?? "") ? form.specialist! : null;
    if (start === null || !specialist) throw new AppError(400, t.errors.badRequestTitle);
    const zone = form.tz && isTimeZone(form.tz) ? form.tz : viewerZone(deps, c);
    const errors: Record<string, string> = {};
    let clientId = actor.personId;
    if (actor.role !== "client") {
      // Chosen by email from the list (or, from scripts and tests, by id).
      const email = (form.clientEmail ?? "").trim();
      const client = form.client ? getPerson(deps, form.client) : email && email.length <= 254 ? findPersonByEmail(deps, email) : null;
      if (client?.role === "client") clientId = client.id;
      else errors.client = t.booking.book.chooseClientError;
    }
    const repeat = form.repeat === "1" || form.repeat === "2" ? Number(form.repeat) as 1 | 2 : null;
    const count = repeat ? Number(form.count) : 1;
    if (repeat && (!/^\d{1,2}$/.test(form.count ?? "") || count < 2 || count > MAX_SERIES)) errors.count = t.booking.problems.wholeRange(2, MAX_SERIES);
    if (Object.keys(errors).length) {
      const specialistId = specialist === "any" ? service.specialistIds[0]! : specialist;
      return confirmPage(c, { service, specialistId, start, zone }, { errors, values: form }, 422);
    }
    const result = book(deps, { serviceId: service.id, specialistId: specialist, start, clientId, actor, repeat: repeat ? { everyWeeks: repeat, count } : undefined });
    if (!result.ok) {
      const message = result.reason === "taken" && result.takenDates?.length && repeat ? t.booking.book.takenDates(result.takenDates.join(", ")) : t.booking.book.taken;
      const day = Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO(zone).toPlainDate();
      return timePage(c, service, { message, specialist, zone, day });
    }
    if (actor.role === "client") setPersonPreferences(deps.db, actor.personId, { timeZone: zone, locale: c.get("locale") });
    return c.redirect(`/appointments/${result.appointments[0]!.id}?booked=${result.appointments.length}`, 303);
  });
  return app;
}

// ── appointments ──

export function appointmentRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const visible = (c: Context<AppEnv>): Appointment | null => {
    const a = getAppointment(deps.db, c.req.param("id") ?? "");
    return a && mayView(a, actorOf(c)) ? a : null;
  };
  const detail = (c: Context<AppEnv>, a: Appointment, o: { notice?: string; errors?: Record<string, string>; status?: 200 | 409 | 422 } = {}) => {
    const actor = actorOf(c);
    const service = getService(deps.db, a.serviceId);
    const zone = viewerZone(deps, c);
    return c.html(
      <AppointmentPage
        page={pageContext(c)}
        a={viewOf(deps, c, a)}
        timeZone={zone}
        viewerIsClient={a.clientId === actor.personId}
        mayChange={mayChange(a, service, actor)}
        mayMarkNoShow={actor.role !== "client" && a.status === "booked" && Date.now() >= a.start}
        joinOpen={joinWindowOpen(a) && (a.clientId === actor.personId || a.specialistId === actor.personId)}
        laterInSeries={a.status === "booked" ? laterInSeries(deps.db, a).filter((x) => mayChange(x, service, actor)).length : 0}
        cancelHours={service?.cancelHours ?? 24}
        cancelReason={a.status === "cancelled" ? cancelReasonOf(deps, a.id) : null}
        address={addressFor(deps, service)}
        notice={o.notice}
        errors={o.errors}
      />,
      o.status ?? 200,
    );
  };

  app.get("/", allow(everyone), (c) => {
    const actor = actorOf(c);
    if (actor.role !== "client") return c.redirect("/schedule", 303);
    const now = Date.now();
    const all = listAppointments(deps.db, { clientId: actor.personId, from: now - 365 * 86_400_000, to: now + 730 * 86_400_000 });
    const names = new Map<string, string>();
    const services = new Map<string, Service | null>();
    const views = all.map((a) => viewOf(deps, c, a, names, services));
    const token = currentFeedToken(deps, actor.personId);
    return c.html(
      <AppointmentsPage
        page={pageContext(c)}
        upcoming={views.filter((a) => a.end >= now && a.status === "booked")}
        past={views.filter((a) => a.end < now || a.status !== "booked").reverse()}
        timeZone={viewerZone(deps, c)}
        feedUrl={token ? feedUrl(deps.config.publicUrl, token) : null}
        notice={c.req.query("feed") ? c.get("t").booking.feed.changed : undefined}
      />,
    );
  });

  app.get("/:id", allow(everyone), (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    auditView(deps, a, actorOf(c));
    const t = c.get("t");
    const booked = Number(c.req.query("booked") ?? 0);
    const notice = booked > 1 ? t.booking.book.bookedSeries(booked) : booked === 1 ? t.booking.book.booked : c.req.query("changed") ? t.booking.appt.rescheduled : undefined;
    return detail(c, a, { notice: notice && !deps.mailer.configured ? `${notice} ${t.booking.book.noMail}` : notice });
  });

  app.get("/:id/calendar.ics", allow(everyone), (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    const actor = actorOf(c);
    auditView(deps, a, actor);
    const event = appointmentEvent(deps, a, c.get("locale"), deps.config.publicUrl.origin, actor.personId !== a.clientId);
    const body = calendarFile({ name: c.get("t").app.name, host: deps.config.publicUrl.hostname, events: [event], method: "publish" });
    return c.body(body, 200, { "content-type": "text/calendar; charset=utf-8", "content-disposition": 'attachment; filename="appointment.ics"' });
  });

  app.post("/:id/cancel", allow(everyone), async (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    const form = await readForm(c);
    const t = c.get("t");
    const reason = (form.reason ?? "").slice(0, 2000);
    const result = cancelAppointment(deps, a.id, actorOf(c), reason, Date.now(), form.series === "on");
    if (result.ok) return detail(c, result.appointment, { notice: (result.count ?? 1) > 1 ? t.booking.appt.cancelledSeries(result.count!) : t.booking.appt.cancelled });
    if (result.reason === "reason-required") return detail(c, a, { errors: { reason: t.form.required }, status: 422 });
    return detail(c, a, { errors: { "": t.booking.appt.cannotChange }, status: 409 });
  });

  app.post("/:id/no-show", allow(staffOnly), (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    const result = markNoShow(deps, a.id, actorOf(c));
    const t = c.get("t");
    return result.ok ? detail(c, result.appointment, { notice: t.booking.appt.markedNoShow }) : detail(c, a, { errors: { "": t.booking.appt.cannotChange }, status: 409 });
  });

  app.post("/:id/join", allow(everyone), (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    const result = appointmentRoom(deps, a.id, actorOf(c));
    if (result.ok) return c.redirect(`/rooms/${result.roomId}`, 303);
    return detail(c, a, { errors: { "": c.get("t").booking.appt.joinOpens }, status: 409 });
  });

  // Rescheduling: the same day-and-time choice, for the appointment's own specialist.
  const reschedulePage = (c: Context<AppEnv>, a: Appointment, lost?: { message: string; zone: string; day: Temporal.PlainDate }) =>
    chooseTime(deps, c, {
      service: getService(deps.db, a.serviceId)!,
      specialist: a.specialistId,
      specialists: [],
      reschedule: a,
      day: lost?.day ?? parseDay(c.req.query("day"), Temporal.Instant.fromEpochMilliseconds(a.start).toZonedDateTimeISO(viewerZone(deps, c)).toPlainDate()),
      zone: lost?.zone,
      message: lost?.message,
      status: lost ? 409 : 200,
    });
  const changeable = (c: Context<AppEnv>): Appointment | null => {
    const a = visible(c);
    return a && mayChange(a, getService(deps.db, a.serviceId), actorOf(c)) ? a : null;
  };
  app.get("/:id/reschedule", allow(everyone), (c) => {
    const a = changeable(c);
    return a ? reschedulePage(c, a) : c.notFound();
  });
  app.get("/:id/reschedule/confirm", allow(everyone), (c) => {
    const a = changeable(c);
    const start = parseInstant(c.req.query("start"));
    if (!a || start === null) return c.notFound();
    return c.html(
      <ConfirmPage
        page={pageContext(c)}
        service={getService(deps.db, a.serviceId)!}
        specialist={namesOf(deps, [a.specialistId])[0]!}
        start={start}
        timeZone={viewerZone(deps, c)}
        clients={null}
        reschedule={{ appointmentId: a.id }}
      />,
    );
  });
  app.post("/:id/reschedule", allow(everyone), async (c) => {
    const a = changeable(c);
    if (!a) return c.notFound();
    const form = await readForm(c);
    const start = parseInstant(form.start);
    if (start === null) throw new AppError(400, c.get("t").errors.badRequestTitle);
    const result = rescheduleAppointment(deps, a.id, actorOf(c), start);
    if (result.ok) return c.redirect(`/appointments/${a.id}?changed=1`, 303);
    const t = c.get("t");
    if (result.reason !== "taken") return c.html(<AppointmentGone page={pageContext(c)} id={a.id} />, 409);
    const zone = form.tz && isTimeZone(form.tz) ? form.tz : viewerZone(deps, c);
    return reschedulePage(c, a, { message: t.booking.book.taken, zone, day: Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO(zone).toPlainDate() });
  });
  return app;
}

// ── the schedule (staff roles) ──

export function scheduleRoutes(deps: Deps, live: LiveRooms): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(staffOnly), (c) => {
    const actor = actorOf(c);
    const zone = viewerZone(deps, c);
    const view = c.req.query("view") === "week" ? "week" : "day";
    const date = parseDay(c.req.query("date"), Temporal.Now.plainDateISO(zone));
    const seesAll = actor.role !== "specialist";
    const specialists = seesAll ? specialistsList(deps) : null;
    const asked = c.req.query("specialist") ?? "all";
    const chosen = seesAll ? (asked === "all" || specialists!.some((s) => s.id === asked) ? asked : "all") : actor.personId;
    const first = view === "week" ? date.subtract({ days: date.dayOfWeek - 1 }) : date;
    const dates = Array.from({ length: view === "week" ? 7 : 1 }, (_, i) => first.add({ days: i }));
    const from = first.toZonedDateTime({ timeZone: zone }).epochMilliseconds;
    const to = first.add({ days: dates.length }).toZonedDateTime({ timeZone: zone }).epochMilliseconds;
    const ids = chosen === "all" ? undefined : [chosen];
    const list = listAppointments(deps.db, { specialistIds: ids, from, to });
    if (seesAll) {
      // Reading colleagues' calendars is recorded: once per person read and 10 minutes (the list refreshes itself).
      const others = [...new Set(list.map((a) => a.specialistId))].filter((id) => id !== actor.personId);
      if (others.length) deps.db.transaction((tx) => recordScheduleView(tx, deps, actor.personId, others, list.length), { behavior: "immediate" });
    }
    const names = new Map<string, string>();
    const services = new Map<string, Service | null>();
    const now = Date.now();
    const entries: ScheduleEntry[] = list.map((a) => {
      const v = viewOf(deps, c, a, names, services);
      return { ...v, waiting: a.roomId ? live.waitingIn(a.roomId).includes(a.clientId) : false, joinOpen: joinWindowOpen(a, now), mine: a.specialistId === actor.personId };
    });
    const days = dates.map((d) => ({
      date: d,
      entries: entries.filter((e) => Temporal.Instant.fromEpochMilliseconds(e.start).toZonedDateTimeISO(zone).toPlainDate().equals(d)),
    }));
    const token = actor.role === "specialist" ? currentFeedToken(deps, actor.personId) : null;
    return c.html(
      <SchedulePage
        page={pageContext(c)}
        view={view}
        date={date}
        specialist={chosen}
        specialists={specialists}
        timeZone={zone}
        days={days}
        feed={actor.role === "specialist" ? { url: token ? feedUrl(deps.config.publicUrl, token) : null } : null}
        notice={c.req.query("feed") ? c.get("t").booking.feed.changed : undefined}
      />,
    );
  });
  return app;
}

const SCHEDULE_VIEW_AUDIT_MS = 10 * 60_000;

function recordScheduleView(tx: Queryable, deps: Deps, actor: string, specialists: string[], count: number): void {
  const recent = new Set(searchAudit(tx, { actor, actionPrefix: "schedule.view", from: Date.now() - SCHEDULE_VIEW_AUDIT_MS }, 500).map((e) => e.target));
  for (const s of specialists) if (!recent.has(s)) recordAudit(tx, deps.vault, { actor, action: "schedule.view", target: s, details: { appointments: count } });
}

// ── calendar feeds ──

export function calendarRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const back = (c: Context<AppEnv>) => (c.get("viewer")!.role === "client" ? "/appointments?feed=1" : "/schedule?feed=1");
  app.post("/feed", allow(everyone), (c) => {
    createFeed(deps, c.get("viewer")!.personId);
    return c.redirect(back(c), 303);
  });
  app.post("/feed/revoke", allow(everyone), (c) => {
    revokeFeed(deps, c.get("viewer")!.personId);
    return c.redirect(back(c), 303);
  });
  // The feed itself: calendar apps fetch it without a session; the unguessable token is the credential.
  app.get("/:file{[A-Za-z0-9_-]{43}\\.ics}", allow(anyone), (c) => {
    const owner = feedOwner(deps.db, c.req.param("file").slice(0, -4));
    if (!owner) return c.text("This calendar address is not valid any more.\n", 404);
    const person = personPreferences(deps.db, owner);
    if (!person) return c.text("This calendar address is not valid any more.\n", 404);
    const now = Date.now();
    const own = person.role === "client" ? { clientId: owner } : { specialistIds: [owner] };
    const list = listAppointments(deps.db, { ...own, from: now - 90 * 86_400_000, to: now + 400 * 86_400_000 }).filter((a) => a.status !== "no-show");
    const locale = person.locale ?? getSettings(deps.db)?.language ?? "en";
    const events = list.map((a) => appointmentEvent(deps, a, locale, deps.config.publicUrl.origin, person.role !== "client"));
    const body = calendarFile({ name: `${getSettings(deps.db)?.name ?? "Kabinet"}`, host: deps.config.publicUrl.hostname, events });
    return c.body(body, 200, { "content-type": "text/calendar; charset=utf-8", "cache-control": "no-store" });
  });
  return app;
}

// ── the mail queue (admins) ──

export function mailQueueRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>, notice?: string) =>
    c.html(
      <JobsPage
        page={pageContext(c)}
        smtp={deps.config.smtp ? deps.config.smtp.url.hostname : null}
        counts={jobCounts(deps.db)}
        jobs={listJobs(deps.db, deps.vault, ["pending", "running", "failed", "done", "cancelled"], 100)}
        timeZone={getSettings(deps.db)?.timeZone ?? "UTC"}
        notice={notice}
      />,
    );
  app.get("/", allow(adminOnly), (c) => page(c));
  app.post("/:id/retry", allow(adminOnly), (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || !retryJob(deps.db, id)) return c.notFound();
    return page(c, c.get("t").booking.jobs.retried);
  });
  return app;
}
