// A report's range as people pick it: two calendar days, read on the organisation's clock, the last day included.

export type RangeProblem = "required" | "date" | "order";

export type DayRange =
  | { ok: true; from: number; to: number; fromText: string; toText: string }
  | { ok: false; errors: { from?: RangeProblem; to?: RangeProblem } };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(text: string): Temporal.PlainDate | RangeProblem {
  if (text === "") return "required";
  if (!DAY.test(text)) return "date";
  try {
    return Temporal.PlainDate.from(text, { overflow: "reject" });
  } catch {
    return "date";
  }
}

/** From the start of `fromText` to the end of `toText` in `timeZone`: [from, to) as instants. */
export function parseDayRange(fromText: string, toText: string, timeZone: string): DayRange {
  const first = day(fromText.trim());
  const last = day(toText.trim());
  if (typeof first === "string" || typeof last === "string") {
    return { ok: false, errors: { ...(typeof first === "string" ? { from: first } : {}), ...(typeof last === "string" ? { to: last } : {}) } };
  }
  if (Temporal.PlainDate.compare(first, last) > 0) return { ok: false, errors: { to: "order" } };
  return {
    ok: true,
    from: first.toZonedDateTime({ timeZone }).epochMilliseconds,
    to: last.add({ days: 1 }).toZonedDateTime({ timeZone }).epochMilliseconds,
    fromText: first.toString(),
    toText: last.toString(),
  };
}

/** The last `days` days up to today, on the organisation's clock: the range a report opens with. */
export function recentDays(now: number, timeZone: string, days: number): { from: string; to: string } {
  const today = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(timeZone).toPlainDate();
  return { from: today.subtract({ days: days - 1 }).toString(), to: today.toString() };
}
