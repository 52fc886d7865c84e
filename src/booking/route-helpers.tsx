// What the booking routes share: who is asking and in which zone they read times, the names and views built from
// appointments, and the day-and-time page both booking and rescheduling show.
import type { Context } from "hono";
import type { AppEnv, Viewer } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { listPeople, personName, personZone, readingOf } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import { type Actor, type Appointment, offeredSlots } from "./appointments.ts";
import { parseDay, parseZone } from "./booking.schema.ts";
import { freeDays, nearestFreeDay } from "./free-days.ts";
import { getService, type Service } from "./services.ts";
import { type AppointmentView, ChooseTimePage, type Named } from "./views/booking-pages.tsx";

export type BookingRouteDeps = Pick<Installation, "db" | "vault" | "config" | "log" | "mailer" | "clock">;

const DAYS_SHOWN = 7;

export function actorOf(c: Context<AppEnv>): Actor & { viewer: Viewer } {
  const viewer = c.get("viewer")!;
  return { personId: viewer.personId, role: viewer.role, viewer };
}

/** The signed-in viewer, or null for a visitor (the public booking pages), including one half-way through sign-in. */
export function signedInViewer(c: Context<AppEnv>): Viewer | null {
  const viewer = c.get("viewer");
  return viewer?.session.stage === "full" ? viewer : null;
}

/** The zone the viewer reads times in: asked for in the query, else their own, else the organisation's. */
export function viewerZone(deps: BookingRouteDeps, c: Context<AppEnv>): string {
  const viewer = signedInViewer(c);
  return parseZone(c.req.query("tz")) ?? (viewer ? personZone(deps.db, viewer.personId) : (getSettings(deps.db)?.timeZone ?? "UTC"));
}

/** Staff may book inside a specialist's minimum notice (e.g. on the phone); clients and visitors may not. */
export function mayIgnoreNotice(c: Context<AppEnv>): boolean {
  const viewer = signedInViewer(c);
  return viewer !== null && viewer.role !== "client";
}

/** Today's date in a zone, by the installation's clock. */
export function todayIn(deps: BookingRouteDeps, zone: string): Temporal.PlainDate {
  return Temporal.Instant.fromEpochMilliseconds(deps.clock.now()).toZonedDateTimeISO(zone).toPlainDate();
}

/** The date an instant falls on in a zone. */
export function dateOf(instant: number, zone: string): Temporal.PlainDate {
  return Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone).toPlainDate();
}

/** Where an in-person service takes place (the organisation's address), or null. */
export function addressFor(deps: BookingRouteDeps, service: Service | null): string | null {
  return service?.mode === "in-person" ? getSettings(deps.db)?.address || null : null;
}

export function namesOf(deps: BookingRouteDeps, ids: readonly string[]): Named[] {
  return ids.map((id) => ({ id, name: personName(deps, id) ?? "—" }));
}

export function specialistsList(deps: BookingRouteDeps): Named[] {
  return listPeople(deps)
    .filter((p) => p.role === "specialist")
    .map((p) => ({ id: p.id, name: p.name }));
}

export function viewOf(deps: BookingRouteDeps, c: Context<AppEnv>, a: Appointment, cache = new Map<string, string>(), services = new Map<string, Service | null>()): AppointmentView {
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
 * week's days from today on, each marked when it has no free time, and the free times of the chosen day in the
 * viewer's zone. Visitors without an account see the same page: free times only, nothing about who holds the others.
 */
export function chooseTime(
  deps: BookingRouteDeps,
  c: Context<AppEnv>,
  o: { service: Service; specialist: string; specialists: Named[]; day?: Temporal.PlainDate; zone?: string; reschedule?: Appointment; forClient?: Named | null; message?: string; status?: 200 | 409 },
): Response | Promise<Response> {
  const zone = o.zone ?? viewerZone(deps, c);
  const today = todayIn(deps, zone);
  const chosen = o.day ?? parseDay(c.req.query("day"), today);
  const first = Temporal.PlainDate.compare(chosen, today) < 0 ? today : chosen;
  const now = Temporal.Instant.fromEpochMilliseconds(deps.clock.now());
  const ignoreNotice = mayIgnoreNotice(c);
  const query = { service: o.service, specialistId: o.specialist, timeZone: zone, now, except: o.reschedule?.id, ignoreNotice };
  const slots = offeredSlots(deps.db, { ...query, day: first });
  const weekStart = first.subtract({ days: (first.dayOfWeek + 6) % 7 });
  const days = Array.from({ length: DAYS_SHOWN }, (_, i) => weekStart.add({ days: i })).filter((d) => Temporal.PlainDate.compare(d, today) >= 0);
  const free = days.length ? freeDays(deps.db, { ...query, from: days[0]!, days: days.length }) : new Set<string>();
  // An empty day points on to the next one with free times, so nobody has to page through empty weeks.
  const nextFree = slots.length ? null : nearestFreeDay(deps.db, { ...query, from: first.add({ days: 1 }) });
  const viewer = signedInViewer(c);
  return c.html(
    <ChooseTimePage
      page={pageContext(c)}
      service={o.service}
      specialists={o.specialists}
      specialist={o.specialist}
      day={first}
      days={days.map((d) => ({ date: d, free: free.has(d.toString()) }))}
      nextFree={nextFree}
      timeZone={zone}
      slots={slots.map((s) => ({ start: s.start.epochMilliseconds, specialistId: s.specialistId }))}
      reschedule={o.reschedule ? { appointmentId: o.reschedule.id, currentStart: o.reschedule.start } : undefined}
      forClient={o.forClient ?? null}
      message={o.message}
      detectZone={c.req.method === "GET" && !o.reschedule && !c.req.query("tz") && !(viewer && readingOf(deps.db, viewer.personId)?.zoneChosen)}
    />,
    o.status ?? 200,
  );
}
