// Appointments (/appointments): a client's list, one appointment's page and calendar entry, and what may be done
// to it (cancel, no-show, join, reschedule). An appointment the viewer may not see is a 404, as if it did not exist.
// Every change and every look at someone else's appointment is audited by the service.
import { paymentOfAppointment, paymentOfSeries } from "../payments/payments.ts";
import type { Context } from "hono";
import { Hono } from "hono";
import { AppError } from "../http/app-error.ts";
import { allow, everyone, staffOnly } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { listChatMessages } from "../rooms/chat.ts";
import { listRoomFiles } from "../rooms/files.ts";
import type { LiveRooms } from "../rooms/live-rooms.ts";
import { getRoom, isRoomLive, mayReadRoomRecord } from "../rooms/rooms.ts";
import {
  type Appointment,
  appointmentRoom,
  auditView,
  cancelAppointment,
  cancelReasonOf,
  getAppointment,
  JOIN_LATE_MINUTES,
  joinWindowOpen,
  laterInSeries,
  listAppointments,
  markNoShow,
  mayChange,
  mayView,
  rescheduleAppointment,
} from "./appointments.ts";
import { appointmentEvent } from "./booking-mail.ts";
import { cancelFormSchema, parseDay, parseInstant, slotFormSchema } from "./booking.schema.ts";
import { currentFeedToken, feedUrl } from "./feeds.ts";
import { calendarFile } from "./ics.ts";
import { actorOf, addressFor, type BookingRouteDeps, chooseTime, dateOf, namesOf, viewerZone, viewOf } from "./route-helpers.tsx";
import { getService, type Service } from "./services.ts";
import { intakePanel } from "../intake/intake-panel.tsx";
import { AppointmentLive, type AppointmentLiveProps, AppointmentPage, type Presence } from "./views/appointment-page.tsx";
import { AppointmentGone, AppointmentsPage, ConfirmPage } from "./views/booking-pages.tsx";

export function appointmentRoutes(deps: BookingRouteDeps, live: LiveRooms): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const visible = (c: Context<AppEnv>): Appointment | null => {
    const a = getAppointment(deps.db, c.req.param("id") ?? "");
    return a && mayView(a, actorOf(c)) ? a : null;
  };
  /** The part of the page that changes by itself: status, Join, who is in the room. */
  const liveProps = (c: Context<AppEnv>, a: Appointment): AppointmentLiveProps => {
    const actor = actorOf(c);
    const now = c.get("now");
    const own = a.clientId === actor.personId || a.specialistId === actor.personId;
    const room = a.roomId ? getRoom(deps.db, a.roomId) : null;
    const inCall = room && isRoomLive(room, now) ? room : null;
    const presence: Presence =
      inCall && actor.personId === a.clientId && live.hostIn(inCall.id)
        ? { kind: "host-in" }
        : inCall && actor.personId === a.specialistId && live.waitingIn(inCall.id).includes(a.clientId)
          ? { kind: "client-waiting", admit: `/rooms/${inCall.id}/admit/${a.clientId}` }
          : null;
    return {
      page: pageContext(c),
      a: viewOf(deps, c, a),
      timeZone: viewerZone(deps, c),
      viewerIsClient: a.clientId === actor.personId,
      joinOpen: own && joinWindowOpen(a, now),
      presence,
      recordHref: room && !inCall && mayReadRoomRecord(deps.db, room, actor.personId) ? `/rooms/${room.id}` : null,
      cancelReason: a.status === "cancelled" ? cancelReasonOf(deps, a.id) : null,
      address: addressFor(deps, getService(deps.db, a.serviceId)),
      // Only its client and specialist watch it live: a colleague reading it is audited once per page, not per poll.
      polls: own && a.status === "booked" && now <= a.end + JOIN_LATE_MINUTES * 60_000,
    };
  };
  const paymentLine = (c: Context<AppEnv>, a: Appointment) => {
    const p = paymentOfAppointment(deps.db, a.id) ?? (a.seriesId ? paymentOfSeries(deps.db, a) : null);
    return p ? { href: `/payments/${p.id}`, status: c.get("t").payments.status[p.status], pending: p.status === "pending" } : null;
  };
  const detail = (c: Context<AppEnv>, a: Appointment, o: { notice?: string; errors?: Record<string, string>; status?: 200 | 409 | 422 } = {}) => {
    const actor = actorOf(c);
    const service = getService(deps.db, a.serviceId);
    const now = c.get("now");
    const props = liveProps(c, a);
    return c.html(
      <AppointmentPage
        {...props}
        mayChange={mayChange(a, service, actor, now)}
        mayMarkNoShow={actor.role !== "client" && a.status === "booked" && now >= a.start}
        laterInSeries={a.status === "booked" ? laterInSeries(deps.db, a).filter((x) => mayChange(x, service, actor, now)).length : 0}
        cancelHours={service?.cancelHours ?? 24}
        record={props.recordHref && a.roomId ? { roomId: a.roomId, chat: listChatMessages(deps, a.roomId), files: listRoomFiles(deps, a.roomId) } : null}
        notesHref={actor.personId === a.specialistId ? `/clients/${a.clientId}/notes?appointment=${a.id}` : null}
        intake={intakePanel(deps, a, actor, props.page, props.timeZone)}
        payment={paymentLine(c, a)}
        notice={o.notice}
        errors={o.errors}
      />,
      o.status ?? 200,
    );
  };

  app.get("/", allow(everyone), (c) => {
    const actor = actorOf(c);
    if (actor.role !== "client") return c.redirect("/schedule", 303);
    const now = deps.clock.now();
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
    // Only the client's and the specialist's pages poll their live part, and their reading is not audited; anyone
    // else asking for the part (a header is easy to send) is audited like a page view.
    auditView(deps, a, actorOf(c));
    if (c.req.header("hx-request") === "true") return c.html(<AppointmentLive {...liveProps(c, a)} />);
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
    const event = appointmentEvent(deps, a, c.get("locale"), deps.config.publicUrl.origin, actor.personId !== a.clientId, deps.clock.now());
    const body = calendarFile({ name: pageContext(c).org.name, host: deps.config.publicUrl.hostname, events: [event] });
    return c.body(body, 200, { "content-type": "text/calendar; charset=utf-8", "content-disposition": 'attachment; filename="appointment.ics"' });
  });

  app.post("/:id/cancel", allow(everyone), async (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    const form = cancelFormSchema.parse(await readForm(c));
    const t = c.get("t");
    const result = cancelAppointment(deps, a.id, actorOf(c), form.reason, deps.clock.now(), form.series);
    if (result.ok) return detail(c, result.appointment, { notice: (result.count ?? 1) > 1 ? t.booking.appt.cancelledSeries(result.count!) : t.booking.appt.cancelled });
    if (result.reason === "reason-required") return detail(c, a, { errors: { reason: t.form.required }, status: 422 });
    return detail(c, a, { errors: { "": t.booking.appt.cannotChange }, status: 409 });
  });

  app.post("/:id/no-show", allow(staffOnly), (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    const result = markNoShow(deps, a.id, actorOf(c), deps.clock.now());
    const t = c.get("t");
    return result.ok ? detail(c, result.appointment, { notice: t.booking.appt.markedNoShow }) : detail(c, a, { errors: { "": t.booking.appt.cannotChange }, status: 409 });
  });

  app.post("/:id/join", allow(everyone), (c) => {
    const a = visible(c);
    if (!a) return c.notFound();
    const result = appointmentRoom(deps, a.id, actorOf(c), c.get("now"));
    if (result.ok) return c.redirect(`/rooms/${result.roomId}`, 303);
    if (result.reason === "ended") return c.redirect(`/rooms/${result.roomId}/after`, 303);
    return detail(c, a, { errors: { "": c.get("t").booking.appt.joinOpens }, status: 409 });
  });

  // Rescheduling: the same day-and-time choice, for the appointment's own specialist.
  const reschedulePage = (c: Context<AppEnv>, a: Appointment, lost?: { message: string; zone: string; day: Temporal.PlainDate }) =>
    chooseTime(deps, c, {
      service: getService(deps.db, a.serviceId)!,
      specialist: a.specialistId,
      specialists: [],
      reschedule: a,
      day: lost?.day ?? parseDay(c.req.query("day"), dateOf(a.start, viewerZone(deps, c))),
      zone: lost?.zone,
      message: lost?.message,
      status: lost ? 409 : 200,
    });
  const changeable = (c: Context<AppEnv>): Appointment | null => {
    const a = visible(c);
    return a && mayChange(a, getService(deps.db, a.serviceId), actorOf(c), deps.clock.now()) ? a : null;
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
        clientSearch={null}
        reschedule={{ appointmentId: a.id, currentStart: a.start }}
      />,
    );
  });
  app.post("/:id/reschedule", allow(everyone), async (c) => {
    const a = changeable(c);
    if (!a) return c.notFound();
    const slot = slotFormSchema.safeParse(await readForm(c));
    if (!slot.success) throw new AppError(400, c.get("t").errors.badRequestTitle);
    const { start, tz } = slot.data;
    const result = rescheduleAppointment(deps, a.id, actorOf(c), start, deps.clock.now());
    if (result.ok) return c.redirect(`/appointments/${a.id}?changed=1`, 303);
    const zone = tz ?? viewerZone(deps, c);
    if (result.reason === "restricted") return reschedulePage(c, a, { message: c.get("t").retention.holds.rescheduleRestricted, zone, day: dateOf(start, zone) });
    if (result.reason !== "taken") return c.html(<AppointmentGone page={pageContext(c)} id={a.id} />, 409);
    return reschedulePage(c, a, { message: c.get("t").booking.book.taken, zone, day: dateOf(start, zone) });
  });
  return app;
}
