// Free appointment slots from a specialist's availability. Pure: no database, no clock of its own.
//
// Rules: working hours are wall-clock times in the specialist's own time zone, per weekday (several intervals a day),
// replaced on a given date by an exception (a day off, or other hours). An appointment must lie within working hours;
// its buffers before and after must not overlap another appointment's own buffered span. Slots start at the interval's
// start and then every `stepMinutes` of real time, so a day that loses or gains an hour to daylight saving has
// correspondingly fewer or more slots; a working-hours bound that falls into a DST gap moves forward by the gap
// (RFC 5545 §3.3.5), and in a repeated hour the earlier instant is taken. Minimum notice and the booking horizon are
// measured from `now`.

export interface Interval {
  /** "HH:MM" wall-clock time, 24-hour. */
  start: string;
  end: string;
}

export interface Availability {
  timeZone: string;
  /** ISO weekday (1 = Monday … 7 = Sunday) → intervals. */
  weekly: Readonly<Partial<Record<1 | 2 | 3 | 4 | 5 | 6 | 7, readonly Interval[]>>>;
  /** "YYYY-MM-DD" → that date's intervals instead of the weekly ones (empty: a day off). */
  exceptions: Readonly<Record<string, readonly Interval[]>>;
  minNoticeMinutes: number;
  horizonDays: number;
}

export interface ServiceTiming {
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
}

/** An existing appointment, as the span it blocks (its own buffers included). */
export interface Busy {
  start: Temporal.Instant;
  end: Temporal.Instant;
}

export interface Slot {
  start: Temporal.ZonedDateTime;
  end: Temporal.ZonedDateTime;
}

export interface SlotQuery {
  availability: Availability;
  service: ServiceTiming;
  busy: readonly Busy[];
  /** Inclusive dates, in the specialist's time zone. */
  from: Temporal.PlainDate;
  to: Temporal.PlainDate;
  now: Temporal.Instant;
  stepMinutes?: number;
}

export function freeSlots(q: SlotQuery): Slot[] {
  const { availability: av, service } = q;
  const step = q.stepMinutes ?? 30;
  const earliest = q.now.add({ minutes: av.minNoticeMinutes });
  const latest = q.now.add({ hours: av.horizonDays * 24 });
  const taken = busyIndex(q.busy);
  const slots: Slot[] = [];
  for (let date = q.from; Temporal.PlainDate.compare(date, q.to) <= 0; date = date.add({ days: 1 })) {
    for (const interval of intervalsOn(av, date)) {
      const open = atWallClock(date, interval.start, av.timeZone);
      const close = atWallClock(date, interval.end, av.timeZone);
      for (let start = open; ; start = start.add({ minutes: step })) {
        const end = start.add({ minutes: service.durationMinutes });
        if (Temporal.ZonedDateTime.compare(end, close) > 0) break;
        const instant = start.toInstant();
        if (Temporal.Instant.compare(instant, earliest) < 0 || Temporal.Instant.compare(instant, latest) > 0) continue;
        const blockStart = instant.epochMilliseconds - service.bufferBeforeMinutes * 60_000;
        const blockEnd = end.epochMilliseconds + service.bufferAfterMinutes * 60_000;
        if (taken(blockStart, blockEnd)) continue;
        slots.push({ start, end });
      }
    }
  }
  return slots;
}

/**
 * Whether [start, end) overlaps any busy span, in O(log n): spans sorted by start, with the running maximum of their
 * ends, so the spans starting before `end` overlap exactly when the latest of their ends is after `start`.
 */
function busyIndex(busy: readonly Busy[]): (start: number, end: number) => boolean {
  const spans = busy.map((b) => [b.start.epochMilliseconds, b.end.epochMilliseconds] as const).sort((a, b) => a[0] - b[0]);
  const starts = spans.map((s) => s[0]);
  const maxEnd: number[] = [];
  for (let i = 0, m = -Infinity; i < spans.length; i++) maxEnd.push((m = Math.max(m, spans[i]![1])));
  return (start, end) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && maxEnd[lo - 1]! > start;
  };
}

function intervalsOn(av: Availability, date: Temporal.PlainDate): readonly Interval[] {
  return av.exceptions[date.toString()] ?? av.weekly[date.dayOfWeek as 1 | 2 | 3 | 4 | 5 | 6 | 7] ?? [];
}

/** The instant a wall-clock time on a date has in a zone: forward across a DST gap, the earlier in a repeated hour. */
function atWallClock(date: Temporal.PlainDate, time: string, timeZone: string): Temporal.ZonedDateTime {
  const plainTime = time === "24:00" ? null : Temporal.PlainTime.from(time);
  if (!plainTime) return date.add({ days: 1 }).toZonedDateTime({ timeZone, plainTime: Temporal.PlainTime.from("00:00") });
  return Temporal.ZonedDateTime.from({ timeZone, year: date.year, month: date.month, day: date.day, hour: plainTime.hour, minute: plainTime.minute }, { disambiguation: "compatible" });
}
