// A busy specialist for the booking benchmarks: Mon–Fri 09:00–13:00 and 14:00–19:00 in Moscow, and an 8-week
// calendar where most bookable 50-minute sessions (with 10-minute buffers) are taken.
import type { Availability, Busy, ServiceTiming } from "../../src/booking/slots.ts";

export const ZONE = "Europe/Moscow";
export const SERVICE: ServiceTiming = { durationMinutes: 50, bufferBeforeMinutes: 0, bufferAfterMinutes: 10 };

export function busyAvailability(): Availability {
  const day = [{ start: "09:00", end: "13:00" }, { start: "14:00", end: "19:00" }];
  return { timeZone: ZONE, weekly: { 1: day, 2: day, 3: day, 4: day, 5: day }, exceptions: { "2026-12-31": [] }, minNoticeMinutes: 12 * 60, horizonDays: 70 };
}

/** Bookings at every full hour of every working day from `from` for 8 weeks, except every third one left free. */
export function busyCalendar(from: Temporal.PlainDate): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let d = 0; d < 56; d++) {
    const date = from.add({ days: d });
    if (date.dayOfWeek > 5) continue;
    for (const hour of [9, 10, 11, 12, 14, 15, 16, 17, 18]) {
      if ((d + hour) % 3 === 0) continue;
      const start = date.toZonedDateTime({ timeZone: ZONE, plainTime: new Temporal.PlainTime(hour) }).epochMilliseconds;
      out.push({ start, end: start + 50 * 60_000 });
    }
  }
  return out;
}

export function asBusy(calendar: readonly { start: number; end: number }[]): Busy[] {
  return calendar.map((b) => ({ start: Temporal.Instant.fromEpochMilliseconds(b.start), end: Temporal.Instant.fromEpochMilliseconds(b.end + 10 * 60_000) }));
}
