// The legal deadline of a data-subject request, fixed when it is received.
//
//   GDPR art. 12(3): "within one month of receipt". Read as the same calendar day of the next month (EDPB guidance,
//   Regulation 1182/71 art. 3), clamped to that month's last day (31 January → 28/29 February).
//   152-FZ art. 14 and 20: ten working days from receipt. Working days are Monday to Friday on the organisation's
//   clock, counted from the day after receipt, skipping the organisation's free days (public holidays) it lists.
// A request is due by the end of its due day on the organisation's clock. Pure: no clock, no database.

export const LAWS = ["gdpr", "152-fz"] as const;
export type Law = (typeof LAWS)[number];

/** How close a deadline is, for the queue: past, within three days, or later. */
export type Urgency = "overdue" | "soon" | "later";
export const SOON_MS = 3 * 86_400_000;

const FZ152_WORKING_DAYS = 10;

/** The last day (in the organisation's calendar) on which a request received on `received` may be answered. */
export function dueDate(law: Law, received: Temporal.PlainDate, freeDays: ReadonlySet<string> = new Set()): Temporal.PlainDate {
  if (law === "gdpr") return received.add({ months: 1 }, { overflow: "constrain" });
  let day = received;
  for (let counted = 0; counted < FZ152_WORKING_DAYS; ) {
    day = day.add({ days: 1 });
    if (day.dayOfWeek <= 5 && !freeDays.has(day.toString())) counted++;
  }
  return day;
}

/** The instant a request received at `receivedAt` becomes overdue: the end of its due day in `timeZone` (exclusive). */
export function dueAt(law: Law, receivedAt: number, timeZone: string, freeDays: ReadonlySet<string> = new Set()): number {
  const received = Temporal.Instant.fromEpochMilliseconds(receivedAt).toZonedDateTimeISO(timeZone).toPlainDate();
  const due = dueDate(law, received, freeDays);
  return due.add({ days: 1 }).toZonedDateTime({ timeZone }).toInstant().epochMilliseconds;
}

/** The day shown as the deadline: the due day itself (dueAt is the start of the next). */
export function dueDay(dueAtMs: number, timeZone: string): Temporal.PlainDate {
  return Temporal.Instant.fromEpochMilliseconds(dueAtMs - 1).toZonedDateTimeISO(timeZone).toPlainDate();
}

export function urgency(dueAtMs: number, now: number): Urgency {
  if (now >= dueAtMs) return "overdue";
  return dueAtMs - now <= SOON_MS ? "soon" : "later";
}
