// Appointments: booking, rescheduling, cancelling, no-shows, and the room each online appointment gets.
//
// Invariants: a specialist's active appointments never overlap, buffers included. Booking re-checks the slot against
// the specialist's hours and calendar inside one immediate (write-locked) transaction, so of two clients racing for
// a slot exactly one wins; a unique index on (specialist, start) of active bookings backs this up across processes.
// Every change is audited in its own transaction and queues the mails it causes there too, so a booking and its
// confirmation exist together or not at all.
import { randomBytes } from "node:crypto";
import { recordAudit, searchAudit } from "../audit/audit.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import type { Role } from "../roles.ts";
import { closeRoom, createRoom, getRoom, isRoomLive, onRoomClosed, type RoomClosed, type RoomDeps } from "../rooms/rooms.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import { getSettings } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import { getAvailability } from "./availability.ts";
import * as store from "./booking.store.ts";
import { cancelReminders, queueAppointmentMail, queueReminders } from "./notify.ts";
import { queueIntakeReminder } from "../intake/intake-reminder.ts";
import { enqueue } from "../jobs/queue.ts";
import { getService, type Service } from "./services.ts";
import { freeSlots, type Slot } from "./slots.ts";
import { emitAppointmentEvent } from "../webhooks/appointment-events.ts";

/** "Join" opens this long before the start, and stays until this long after the end. */
export const JOIN_EARLY_MINUTES = 15;
export const JOIN_LATE_MINUTES = 30;
/** A recurring booking covers at most this many sessions. */
export const MAX_SERIES = 26;

export type AppointmentStatus = store.AppointmentRow["status"];

export interface Appointment {
  id: string;
  serviceId: string;
  specialistId: string;
  clientId: string;
  start: number;
  end: number;
  status: AppointmentStatus;
  seriesId: string | null;
  roomId: string | null;
  createdBy: string;
  cancelledBy: string | null;
  /** Counts moves and cancellation (the calendar event's SEQUENCE). */
  revision: number;
  createdAt: number;
}

export interface BookingDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
}

export interface Actor {
  personId: string;
  role: Role;
}

// ── free time ──

/** A free slot and whose it is. */
export interface OfferedSlot extends Slot {
  specialistId: string;
}

/**
 * Free slots of a service whose start falls on `day` in `timeZone` (the client's), for one specialist or any who
 * offers the service. With "any", a start offered by several goes to the one with fewest bookings that day.
 */
export function offeredSlots(
  db: Queryable,
  q: { service: Service; specialistId: string | "any"; day: Temporal.PlainDate; timeZone: string; now: Temporal.Instant; except?: string; ignoreNotice?: boolean },
): OfferedSlot[] {
  const ids = q.specialistId === "any" ? q.service.specialistIds : q.service.specialistIds.filter((s) => s === q.specialistId);
  const dayStart = q.day.toZonedDateTime({ timeZone: q.timeZone }).toInstant();
  const dayEnd = q.day.add({ days: 1 }).toZonedDateTime({ timeZone: q.timeZone }).toInstant();
  const byStart = new Map<number, { slot: OfferedSlot; load: number }>();
  for (const specialistId of ids) {
    const slots = specialistSlots(db, q.service, specialistId, dayStart, dayEnd, q.now, q.except, q.ignoreNotice);
    // Only "any" among several needs to know who is least booked.
    const load = ids.length > 1 && slots.length ? store.busySpans(db, specialistId, dayStart.epochMilliseconds, dayEnd.epochMilliseconds).length : 0;
    for (const slot of slots) {
      const key = slot.start.epochMilliseconds;
      const held = byStart.get(key);
      if (!held || load < held.load) byStart.set(key, { slot: { ...slot, specialistId }, load });
    }
  }
  return [...byStart.values()].map((v) => v.slot).sort((a, b) => a.start.epochMilliseconds - b.start.epochMilliseconds);
}

/** Free slots of one specialist starting within [from, to). */
export function specialistSlots(
  db: Queryable,
  service: Service,
  specialistId: string,
  from: Temporal.Instant,
  to: Temporal.Instant,
  now: Temporal.Instant,
  except?: string,
  ignoreNotice = false,
): Slot[] {
  const availability = getAvailability(db, specialistId);
  if (!availability) return [];
  const zone = availability.timeZone;
  const busy = store
    .busySpans(db, specialistId, from.epochMilliseconds - 86_400_000, to.epochMilliseconds + 86_400_000, except)
    .map((b) => ({ start: Temporal.Instant.fromEpochMilliseconds(b.blockStart), end: Temporal.Instant.fromEpochMilliseconds(b.blockEnd) }));
  const slots = freeSlots({
    availability: ignoreNotice ? { ...availability, minNoticeMinutes: 0 } : availability,
    service,
    busy,
    from: from.toZonedDateTimeISO(zone).toPlainDate(),
    to: to.toZonedDateTimeISO(zone).toPlainDate(),
    now,
  });
  return slots.filter((s) => Temporal.Instant.compare(s.start.toInstant(), from) >= 0 && Temporal.Instant.compare(s.start.toInstant(), to) < 0);
}

function isFree(db: Queryable, service: Service, specialistId: string, start: Temporal.Instant, now: Temporal.Instant, except?: string, ignoreNotice = false): boolean {
  const slots = specialistSlots(db, service, specialistId, start, start.add({ minutes: 1 }), now, except, ignoreNotice);
  return slots.some((s) => s.start.epochMilliseconds === start.epochMilliseconds);
}

// ── booking ──

export interface BookingRequest {
  serviceId: string;
  specialistId: string | "any";
  start: number;
  clientId: string;
  actor: Actor;
  /** A series: every 1 or 2 weeks, `count` sessions in all (same wall-clock time in the specialist's zone). */
  repeat?: { everyWeeks: 1 | 2; count: number };
  /** Runs in the booking's transaction once the appointments are in (e.g. holding the time for a payment). */
  alsoInTransaction?: (tx: Queryable, booked: readonly Appointment[]) => void;
}

export type BookingResult =
  | { ok: true; appointments: Appointment[] }
  | { ok: false; reason: "taken" | "unavailable" | "restricted"; takenDates?: string[] };

export function book(deps: BookingDeps, req: BookingRequest, nowMs = deps.clock.now()): BookingResult {
  const service = getService(deps.db, req.serviceId);
  if (!service || !service.active) return { ok: false, reason: "unavailable" };
  // A client whose processing is restricted (GDPR art. 18, src/retention/holds.ts): their data is only stored.
  if (isProcessingRestricted(deps.db, req.clientId)) return { ok: false, reason: "restricted" };
  const candidates = req.specialistId === "any" ? service.specialistIds : service.specialistIds.filter((s) => s === req.specialistId);
  if (candidates.length === 0) return { ok: false, reason: "unavailable" };
  const count = Math.min(Math.max(req.repeat?.count ?? 1, 1), MAX_SERIES);
  const everyWeeks = req.repeat?.everyWeeks ?? 1;
  const now = Temporal.Instant.fromEpochMilliseconds(nowMs);
  // Staff booking on a client's behalf (e.g. on the phone) may book inside the minimum notice.
  const ignoreNotice = req.actor.role !== "client";
  try {
    return deps.db.transaction(
      (tx) => {
        let taken: string[] = [];
        for (const specialistId of candidates) {
          const zone = getAvailability(tx, specialistId)?.timeZone ?? "UTC";
          const first = Temporal.Instant.fromEpochMilliseconds(req.start).toZonedDateTimeISO(zone);
          const starts = Array.from({ length: count }, (_, i) => first.add({ weeks: i * everyWeeks }).toInstant());
          const busy = starts.filter((s) => !isFree(tx, service, specialistId, s, now, undefined, ignoreNotice));
          if (busy.length) {
            taken = busy.map((s) => s.toZonedDateTimeISO(zone).toPlainDate().toString());
            continue;
          }
          const seriesId = count > 1 ? randomBytes(9).toString("base64url") : null;
          const rows = starts.map((s): store.AppointmentRow => {
            const start = s.epochMilliseconds;
            const end = start + service.durationMinutes * 60_000;
            return {
              id: randomBytes(12).toString("base64url"),
              serviceId: service.id,
              specialistId,
              clientId: req.clientId,
              startAt: start,
              endAt: end,
              blockStart: start - service.bufferBeforeMinutes * 60_000,
              blockEnd: end + service.bufferAfterMinutes * 60_000,
              status: "booked",
              seriesId,
              roomId: null,
              createdBy: req.actor.personId,
              createdAt: nowMs,
              cancelledAt: null,
              cancelledBy: null,
              cancelReason: null,
              revision: 0,
            };
          });
          store.insertAppointmentRows(tx, rows);
          const booked = rows.map(toAppointment);
          for (const a of booked) {
            recordAudit(tx, deps.vault, {
              actor: req.actor.personId,
              action: "appointment.create",
              target: a.id,
              details: { service: a.serviceId, specialist: a.specialistId, client: a.clientId, series: a.seriesId, onBehalf: req.actor.personId !== a.clientId },
            });
            queueReminders(tx, deps.vault, a, getSettings(tx)?.reminderHours ?? [], nowMs);
            queueIntakeReminder(tx, deps.vault, a, nowMs); // when the service asks an intake form
            emitAppointmentEvent(tx, deps.vault, "appointment.booked", a, nowMs, { extra: { bookedBy: req.actor.role } });
          }
          queueAppointmentMail(tx, deps.vault, { kind: "confirmation", appointments: booked, recipient: req.clientId }, nowMs);
          req.alsoInTransaction?.(tx, booked);
          return { ok: true as const, appointments: booked };
        }
        return { ok: false as const, reason: "taken" as const, takenDates: taken };
      },
      { behavior: "immediate" },
    );
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: "taken" };
    throw err;
  }
}

// ── reading ──

export function getAppointment(db: Queryable, id: string): Appointment | null {
  const row = store.getAppointmentRow(db, id);
  return row ? toAppointment(row) : null;
}

/** What the viewer may see of an appointment: their own (as client or specialist), or any for admins and staff. */
export function mayView(a: Appointment, viewer: Actor): boolean {
  return a.clientId === viewer.personId || a.specialistId === viewer.personId || viewer.role === "admin" || viewer.role === "staff";
}

/** Records that someone opened another person's appointment (admins and staff reading a colleague's calendar). */
export function auditView(deps: BookingDeps, a: Appointment, viewer: Actor): void {
  if (a.clientId === viewer.personId || a.specialistId === viewer.personId) return;
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: viewer.personId, action: "appointment.view", target: a.id }), { behavior: "immediate" });
}

export function listAppointments(db: Queryable, filter: store.AppointmentFilter): Appointment[] {
  return store.listAppointmentRows(db, filter).map(toAppointment);
}

const SCHEDULE_VIEW_AUDIT_MS = 10 * 60_000;

/**
 * The appointments a schedule shows: of the given specialists (all when none are given) within [from, to). Reading
 * colleagues' calendars is recorded: once per colleague read and 10 minutes (the schedule refreshes itself).
 */
export function readSchedule(deps: BookingDeps, viewer: Actor, q: { specialistIds?: string[]; from: number; to: number }, nowMs = deps.clock.now()): Appointment[] {
  const list = listAppointments(deps.db, q);
  const others = [...new Set(list.map((a) => a.specialistId))].filter((id) => id !== viewer.personId);
  if (others.length === 0) return list;
  deps.db.transaction(
    (tx) => {
      const recent = new Set(searchAudit(tx, { actor: viewer.personId, actionPrefix: "schedule.view", from: nowMs - SCHEDULE_VIEW_AUDIT_MS }, 500).map((e) => e.target));
      for (const s of others) if (!recent.has(s)) recordAudit(tx, deps.vault, { actor: viewer.personId, action: "schedule.view", target: s, details: { appointments: list.length }, at: nowMs });
    },
    { behavior: "immediate" },
  );
  return list;
}

export function cancelReasonOf(deps: BookingDeps, id: string): string | null {
  const row = store.getAppointmentRow(deps.db, id);
  if (!row?.cancelReason) return null;
  try {
    return deps.vault.openField(row.clientId, "appointments", "cancel_reason", row.id, row.cancelReason);
  } catch {
    return null;
  }
}

// ── changes ──

export type ChangeResult = { ok: true; appointment: Appointment } | { ok: false; reason: "not-found" | "window" | "state" | "taken" | "reason-required" | "too-early" | "restricted" };

/** Whether the viewer may still cancel or move it: clients until the service's window closes; staff until it starts. */
export function mayChange(a: Appointment, service: Service | null, viewer: Actor, now = Date.now()): boolean {
  if (a.status !== "booked" || now >= a.start) return false;
  if (viewer.role === "client") return a.clientId === viewer.personId && now <= a.start - (service?.cancelHours ?? 24) * 3600_000;
  return a.specialistId === viewer.personId || viewer.role === "admin" || viewer.role === "staff";
}

/**
 * Cancels an appointment, and with `series` also the later sessions of its series (each within its own window);
 * one mail to the client (and to the specialist unless they acted) lists every cancelled session.
 */
export function cancelAppointment(deps: BookingDeps, id: string, viewer: Actor, reason: string, nowMs = deps.clock.now(), series = false): ChangeResult & { count?: number } {
  const a = getAppointment(deps.db, id);
  if (!a || !mayView(a, viewer)) return { ok: false, reason: "not-found" };
  if (a.status !== "booked") return { ok: false, reason: "state" };
  const service = getService(deps.db, a.serviceId);
  if (!mayChange(a, service, viewer, nowMs)) return { ok: false, reason: "window" };
  if (viewer.role !== "client" && !reason.trim()) return { ok: false, reason: "reason-required" };
  return deps.db.transaction(
    (tx) => {
      if (store.getAppointmentRow(tx, id)?.status !== "booked") return { ok: false as const, reason: "state" as const }; // someone was quicker
      const later = series && a.seriesId ? laterInSeries(tx, a).filter((x) => mayChange(x, service, viewer, nowMs)) : [];
      const cancelled = [a, ...later].map((x) => {
        store.updateAppointmentRow(tx, x.id, {
          status: "cancelled",
          cancelledAt: nowMs,
          cancelledBy: viewer.personId,
          cancelReason: reason.trim() ? Buffer.from(deps.vault.sealField(x.clientId, "appointments", "cancel_reason", x.id, reason.trim())) : null,
          revision: x.revision + 1,
        });
        cancelReminders(tx, x.id, nowMs);
        recordAudit(tx, deps.vault, { actor: viewer.personId, action: "appointment.cancel", target: x.id, details: { by: viewer.role, series: x.id !== a.id } });
        const cancelledOne = { ...x, status: "cancelled" as const, cancelledBy: viewer.personId, revision: x.revision + 1 };
        emitAppointmentEvent(tx, deps.vault, "appointment.cancelled", cancelledOne, nowMs, { extra: { cancelledBy: viewer.role } });
        return cancelledOne;
      });
      // The client always hears of it; the specialist too, unless they did it themselves.
      queueAppointmentMail(tx, deps.vault, { kind: "cancelled", appointments: cancelled, recipient: a.clientId }, nowMs);
      if (viewer.personId !== a.specialistId) queueAppointmentMail(tx, deps.vault, { kind: "cancelled", appointments: cancelled, recipient: a.specialistId }, nowMs);
      return { ok: true as const, appointment: cancelled[0]!, count: cancelled.length };
    },
    { behavior: "immediate" },
  );
}

/**
 * A time held for a payment that never came (src/payments/): the appointment, and the rest of its series booked with
 * it (even when the client cancelled the first session themselves), are cancelled by the system and the time is free
 * again; client and specialist hear of it, and so do webhook subscribers. Joins the caller's transaction when given
 * one. Returns how many were released.
 */
export function releaseUnpaid(deps: BookingDeps, id: string, nowMs = deps.clock.now()): number {
  return deps.db.transaction(
    (tx) => {
      const row = store.getAppointmentRow(tx, id);
      if (!row) return 0;
      const a = toAppointment(row);
      const released = [a, ...laterInSeries(tx, a)]
        .filter((x) => x.status === "booked")
        .map((x) => {
          store.updateAppointmentRow(tx, x.id, { status: "cancelled", cancelledAt: nowMs, cancelledBy: "system", cancelReason: null, revision: x.revision + 1 });
          cancelReminders(tx, x.id, nowMs);
          recordAudit(tx, deps.vault, { actor: "system", action: "appointment.cancel", target: x.id, details: { by: "unpaid" }, at: nowMs });
          const cancelled = { ...x, status: "cancelled" as const, cancelledBy: "system", revision: x.revision + 1 };
          emitAppointmentEvent(tx, deps.vault, "appointment.cancelled", cancelled, nowMs, { extra: { cancelledBy: "unpaid" } });
          return cancelled;
        });
      if (released.length === 0) return 0;
      queueAppointmentMail(tx, deps.vault, { kind: "cancelled", appointments: released, recipient: a.clientId }, nowMs);
      queueAppointmentMail(tx, deps.vault, { kind: "cancelled", appointments: released, recipient: a.specialistId }, nowMs);
      return released.length;
    },
    { behavior: "immediate" },
  );
}

/**
 * Erasure of the client: their future booked appointments are cancelled so the slots free up, with nothing sealed
 * (their key is gone: no reason, no mail), and the rooms already opened for them closed. Runs in the erasure's
 * transaction; returns how many were cancelled.
 */
export function cancelForErasure(deps: RoomDeps, clientId: string, actor: string): number {
  const now = deps.clock.now();
  const future = store.listAppointmentRows(deps.db, { clientId, from: now, to: Number.MAX_SAFE_INTEGER }).filter((r) => r.status === "booked" && r.startAt > now);
  for (const r of future) {
    store.updateAppointmentRow(deps.db, r.id, { status: "cancelled", cancelledAt: now, cancelledBy: actor, cancelReason: null, revision: r.revision + 1 });
    cancelReminders(deps.db, r.id, now);
    recordAudit(deps.db, deps.vault, { actor, action: "appointment.cancel", target: r.id, details: { by: "erasure" }, at: now });
    // Ids and times only: the client's key is about to be destroyed.
    emitAppointmentEvent(deps.db, deps.vault, "appointment.cancelled", toAppointment({ ...r, status: "cancelled" }), now, { extra: { cancelledBy: "erasure" }, withClient: false });
    if (r.roomId) closeRoom(deps, r.roomId, actor);
  }
  return future.length;
}

/** The booked sessions of an appointment's series that come after it. */
export function laterInSeries(db: Queryable, a: Appointment): Appointment[] {
  if (!a.seriesId) return [];
  return store
    .seriesRows(db, a.seriesId)
    .map(toAppointment)
    .filter((x) => x.status === "booked" && x.start > a.start);
}

export function rescheduleAppointment(deps: BookingDeps, id: string, viewer: Actor, newStart: number, nowMs = deps.clock.now()): ChangeResult {
  const a = getAppointment(deps.db, id);
  if (!a || !mayView(a, viewer)) return { ok: false, reason: "not-found" };
  const service = getService(deps.db, a.serviceId);
  if (!service) return { ok: false, reason: "not-found" };
  if (!mayChange(a, service, viewer, nowMs)) return { ok: false, reason: a.status === "booked" ? "window" : "state" };
  if (newStart === a.start) return { ok: true, appointment: a }; // "moved" to where it is: nothing changes
  // Moving it uses the restricted client's data anew (mails, reminders); cancelling stays possible (GDPR art. 18).
  if (isProcessingRestricted(deps.db, a.clientId)) return { ok: false, reason: "restricted" };
  const now = Temporal.Instant.fromEpochMilliseconds(nowMs);
  try {
    return deps.db.transaction(
      (tx) => {
        const current = store.getAppointmentRow(tx, id);
        if (current?.status !== "booked" || current.startAt !== a.start) return { ok: false as const, reason: "state" as const };
        if (!isFree(tx, service, a.specialistId, Temporal.Instant.fromEpochMilliseconds(newStart), now, a.id, viewer.role !== "client")) return { ok: false as const, reason: "taken" as const };
        const end = newStart + service.durationMinutes * 60_000;
        store.updateAppointmentRow(tx, id, {
          startAt: newStart,
          endAt: end,
          blockStart: newStart - service.bufferBeforeMinutes * 60_000,
          blockEnd: end + service.bufferAfterMinutes * 60_000,
          revision: a.revision + 1,
        });
        const moved = { ...a, start: newStart, end, revision: a.revision + 1 };
        cancelReminders(tx, a.id, nowMs);
        queueReminders(tx, deps.vault, moved, getSettings(tx)?.reminderHours ?? [], nowMs);
        queueIntakeReminder(tx, deps.vault, moved, nowMs);
        recordAudit(tx, deps.vault, { actor: viewer.personId, action: "appointment.reschedule", target: id, details: { by: viewer.role } });
        emitAppointmentEvent(tx, deps.vault, "appointment.moved", moved, nowMs, { extra: { previousStart: new Date(a.start).toISOString(), previousEnd: new Date(a.end).toISOString(), movedBy: viewer.role } });
        queueAppointmentMail(tx, deps.vault, { kind: "changed", appointments: [moved], recipient: a.clientId }, nowMs);
        if (viewer.personId !== a.specialistId) queueAppointmentMail(tx, deps.vault, { kind: "changed", appointments: [moved], recipient: a.specialistId }, nowMs);
        return { ok: true as const, appointment: moved };
      },
      { behavior: "immediate" },
    );
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: "taken" };
    throw err;
  }
}

/** The specialist (or staff) records that the client did not come; only once the appointment has started. */
export function markNoShow(deps: BookingDeps, id: string, viewer: Actor, nowMs = deps.clock.now()): ChangeResult {
  const a = getAppointment(deps.db, id);
  if (!a || !mayView(a, viewer) || viewer.role === "client") return { ok: false, reason: "not-found" };
  if (a.status !== "booked") return { ok: false, reason: "state" };
  if (nowMs < a.start) return { ok: false, reason: "too-early" };
  const marked = deps.db.transaction(
    (tx) => {
      if (store.getAppointmentRow(tx, id)?.status !== "booked") return false;
      store.updateAppointmentRow(tx, id, { status: "no-show" });
      cancelReminders(tx, a.id, nowMs);
      recordAudit(tx, deps.vault, { actor: viewer.personId, action: "appointment.no-show", target: id });
      emitAppointmentEvent(tx, deps.vault, "appointment.no-show", { ...a, status: "no-show" }, nowMs);
      return true;
    },
    { behavior: "immediate" },
  );
  return marked ? { ok: true, appointment: { ...a, status: "no-show" } } : { ok: false, reason: "state" };
}

// ── the room ──

export function joinWindowOpen(a: Appointment, now = Date.now()): boolean {
  return a.status === "booked" && now >= a.start - JOIN_EARLY_MINUTES * 60_000 && now <= a.end + JOIN_LATE_MINUTES * 60_000;
}

/**
 * The appointment's room, opened on first use: the specialist hosts, the client waits to be admitted. Once the call
 * has ended (the host closed the room, which marks the appointment held) Join leads to what was said and shared,
 * never to a new empty room.
 */
export function appointmentRoom(
  deps: BookingDeps,
  id: string,
  viewer: Actor,
  nowMs = deps.clock.now(),
): { ok: true; roomId: string } | { ok: false; reason: "not-found" | "too-early" } | { ok: false; reason: "ended"; roomId: string } {
  const a = getAppointment(deps.db, id);
  if (!a || (a.clientId !== viewer.personId && a.specialistId !== viewer.personId)) return { ok: false, reason: "not-found" };
  const service = getService(deps.db, a.serviceId);
  if (service?.mode !== "online") return { ok: false, reason: "not-found" };
  const ended = a.roomId ? getRoom(deps.db, a.roomId) : null;
  if (ended && (ended.state === "closed" || a.status === "completed")) return { ok: false, reason: "ended", roomId: ended.id };
  if (!joinWindowOpen(a, nowMs)) return { ok: false, reason: "too-early" };
  return deps.db.transaction(
    (tx) => {
      const current = store.getAppointmentRow(tx, id)!;
      const existing = current.roomId ? getRoom(tx, current.roomId) : null;
      if (existing?.state === "closed") return { ok: false as const, reason: "ended" as const, roomId: existing.id }; // ended meanwhile
      if (existing && isRoomLive(existing, nowMs)) return { ok: true as const, roomId: existing.id };
      const { room } = createRoom({ db: tx, vault: deps.vault, clock: deps.clock }, a.specialistId, nowMs, {
        expiresAt: a.end + (JOIN_LATE_MINUTES + 30) * 60_000,
        guests: [a.clientId],
        subject: a.clientId,
      });
      store.updateAppointmentRow(tx, id, { roomId: room.id });
      return { ok: true as const, roomId: room.id };
    },
    { behavior: "immediate" },
  );
}

/** The appointment whose room this is, if the room was opened for one. */
export function appointmentOfRoom(db: Queryable, roomId: string): Appointment | null {
  const row = store.appointmentRowByRoom(db, roomId);
  return row ? toAppointment(row) : null;
}

/**
 * The host ended the call: its appointment was held. Runs inside the room's closing transaction (see onRoomClosed),
 * so a room is never closed with its appointment left "booked". Cancelled and no-show appointments keep their status.
 */
export function markHeldOnRoomClosed(deps: RoomDeps, closed: RoomClosed): void {
  const row = store.appointmentRowByRoom(deps.db, closed.roomId);
  if (row?.status !== "booked") return;
  store.updateAppointmentRow(deps.db, row.id, { status: "completed" });
  cancelReminders(deps.db, row.id, closed.at);
  recordAudit(deps.db, deps.vault, { actor: closed.actor, action: "appointment.complete", target: row.id, details: { room: closed.roomId }, at: closed.at });
  // A service paid after the consultation: src/payments asks for it (a job, which knows the payment provider).
  if (store.getServiceRow(deps.db, row.serviceId)?.paymentMode === "after") {
    enqueue(deps.db, deps.vault, { kind: PAYMENT_AFTER_JOB, dedupeKey: `payment-after:${row.id}`, subject: row.clientId, payload: { appointmentId: row.id }, runAt: closed.at }, closed.at);
  }
  emitAppointmentEvent(deps.db, deps.vault, "appointment.held", toAppointment({ ...row, status: "completed" }), closed.at, { extra: { roomId: closed.roomId } });
}

/** The job kind src/payments handles to ask for payment after a held consultation. */
export const PAYMENT_AFTER_JOB = "payment.request-after";

// Once per process: every installation's rooms close through the same rooms module.
onRoomClosed(markHeldOnRoomClosed);

function toAppointment(row: store.AppointmentRow): Appointment {
  return {
    id: row.id,
    serviceId: row.serviceId,
    specialistId: row.specialistId,
    clientId: row.clientId,
    start: row.startAt,
    end: row.endAt,
    status: row.status,
    seriesId: row.seriesId,
    roomId: row.roomId,
    createdBy: row.createdBy,
    cancelledBy: row.cancelledBy,
    revision: row.revision,
    createdAt: row.createdAt,
  };
}

function isUniqueViolation(err: unknown): boolean {
  return String((err as { code?: string })?.code ?? "").startsWith("SQLITE_CONSTRAINT") || /UNIQUE constraint failed/.test(String(err));
}
