// The legal deadline of a data-subject request, fixed when it is received, and how far it may be extended.
//
//   GDPR art. 12(3): "within one month of receipt", whatever the request. Read as the same calendar day of the next
//   month (EDPB guidance, Regulation 1182/71 art. 3), clamped to that month's last day (31 January → 28/29 February).
//   It "may be extended by two further months where necessary", the person being told why within the first month.
//   152-FZ, by what is asked:
//     - access (art. 14, 20 part 1) and anything else not named here: ten working days from receipt;
//     - rectification (art. 20 part 3): seven working days from the person's proof that the data is wrong;
//     - a withdrawal of consent (art. 21 part 5): stop and destroy within thirty (calendar) days of receipt;
//   the ten working days "may be extended by at most five working days" with a reasoned notice to the person
//   (art. 14 part 3, art. 20 parts 1–2). Working days are Monday to Friday on the organisation's clock, counted from the
//   day after receipt, skipping the organisation's free days (public holidays) it lists.
// A request is due by the end of its due day on the organisation's clock. Pure: no clock, no database.

export const LAWS = ["gdpr", "152-fz"] as const;
export type Law = (typeof LAWS)[number];

/** How close a deadline is, for the queue: past, within three days, or later. */
export type Urgency = "overdue" | "soon" | "later";
export const SOON_MS = 3 * 86_400_000;

/** What the law counts: calendar months, calendar days, or working days. */
export type Period = { months: number } | { days: number } | { workingDays: number };

/** What a request asks, as far as its deadline depends on it; "consent-withdrawal": filed by withdrawing consent. */
export interface DeadlineCase {
  kind?: string;
  cause?: "consent-withdrawal";
}

/** The period a request has, by law and what it asks. */
export function deadlinePeriod(law: Law, c: DeadlineCase = {}): Period {
  if (law === "gdpr") return { months: 1 };
  if (c.cause === "consent-withdrawal") return { days: 30 };
  if (c.kind === "rectification") return { workingDays: 7 };
  return { workingDays: 10 };
}

/**
 * Whether the law lets this deadline be extended: GDPR always (art. 12(3)); 152-FZ only its ten working days (art. 14
 * part 3, art. 20 parts 1–2): a correction's seven working days and a withdrawal's thirty days have no extension.
 */
export function mayExtend(law: Law, c: DeadlineCase = {}): boolean {
  const p = deadlinePeriod(law, c);
  return law === "gdpr" || ("workingDays" in p && p.workingDays === 10);
}

/** The longest extension the law allows on top of the deadline. */
export function extensionPeriod(law: Law): Period {
  return law === "gdpr" ? { months: 2 } : { workingDays: 5 };
}

function addPeriod(from: Temporal.PlainDate, p: Period, freeDays: ReadonlySet<string>): Temporal.PlainDate {
  if ("months" in p) return from.add({ months: p.months }, { overflow: "constrain" });
  if ("days" in p) return from.add({ days: p.days });
  let day = from;
  for (let counted = 0; counted < p.workingDays; ) {
    day = day.add({ days: 1 });
    if (day.dayOfWeek <= 5 && !freeDays.has(day.toString())) counted++;
  }
  return day;
}

/** The last day (in the organisation's calendar) on which a request received on `received` may be answered. */
export function dueDate(law: Law, received: Temporal.PlainDate, c: DeadlineCase = {}, freeDays: ReadonlySet<string> = new Set()): Temporal.PlainDate {
  return addPeriod(received, deadlinePeriod(law, c), freeDays);
}

/** The end (exclusive) of a day in `timeZone`. */
function endOf(day: Temporal.PlainDate, timeZone: string): number {
  return day.add({ days: 1 }).toZonedDateTime({ timeZone }).toInstant().epochMilliseconds;
}

/** The instant a request received at `receivedAt` becomes overdue: the end of its due day in `timeZone` (exclusive). */
export function dueAt(law: Law, receivedAt: number, timeZone: string, c: DeadlineCase = {}, freeDays: ReadonlySet<string> = new Set()): number {
  const received = Temporal.Instant.fromEpochMilliseconds(receivedAt).toZonedDateTimeISO(timeZone).toPlainDate();
  return endOf(dueDate(law, received, c, freeDays), timeZone);
}

/** The latest deadline an extension may set: the law's extension added to the current due day. */
export function latestExtendedDueAt(law: Law, dueAtMs: number, timeZone: string, freeDays: ReadonlySet<string> = new Set()): number {
  return endOf(addPeriod(dueDay(dueAtMs, timeZone), extensionPeriod(law), freeDays), timeZone);
}

/** The day shown as the deadline: the due day itself (dueAt is the start of the next). */
export function dueDay(dueAtMs: number, timeZone: string): Temporal.PlainDate {
  return Temporal.Instant.fromEpochMilliseconds(dueAtMs - 1).toZonedDateTimeISO(timeZone).toPlainDate();
}

export function urgency(dueAtMs: number, now: number): Urgency {
  if (now >= dueAtMs) return "overdue";
  return dueAtMs - now <= SOON_MS ? "soon" : "later";
}
