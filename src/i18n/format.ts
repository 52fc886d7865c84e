// Date and time formats. Building an Intl.DateTimeFormat costs far more than using one (it was the slot page's
// largest cost), so each (locale, clock, zone, style) is built once and kept.
//
// One clock per person: every time is written for a reader, in their language and with the hours they chose (12 or
// 24, people.hour_cycle), or their language's custom when they chose nothing. The reader is a required argument, so
// no time can be formatted without saying whose clock it is for.
import type { Locale } from "./messages.ts";

export type HourCycle = "h12" | "h23";

/** Who reads a time: their language, and their choice of clock (null: what their language uses). */
export interface TimeReader {
  locale: Locale;
  hourCycle: HourCycle | null;
}

const cache = new Map<string, Intl.DateTimeFormat>();

function cached(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = cache.get(key);
  if (!f) {
    if (cache.size > 2000) cache.clear(); // zones × locales × styles is bounded, but never let it grow unchecked
    f = make();
    cache.set(key, f);
  }
  return f;
}

/** The reader's clock: their choice, else their language's (English 12-hour, Russian 24-hour). */
export function hourCycleOf(reader: TimeReader): HourCycle {
  if (reader.hourCycle) return reader.hourCycle;
  const custom = cached(`hc|${reader.locale}`, () => new Intl.DateTimeFormat(reader.locale, { hour: "numeric" })).resolvedOptions().hourCycle;
  return custom === "h11" || custom === "h12" ? "h12" : "h23";
}

// "2:30 PM" but "09:05": a 12-hour clock reads without a leading zero, a 24-hour one with it.
function hourOptions(reader: TimeReader): Intl.DateTimeFormatOptions {
  const hourCycle = hourCycleOf(reader);
  return { hourCycle, hour: hourCycle === "h12" ? "numeric" : "2-digit", minute: "2-digit" };
}

/** A date and time with the zone named: people must never guess which clock it is. */
export function dateTimeFormat(reader: TimeReader, timeZone: string, withSeconds = false): Intl.DateTimeFormat {
  const hc = hourCycleOf(reader);
  return cached(`dt|${reader.locale}|${hc}|${timeZone}|${withSeconds}`, () =>
    new Intl.DateTimeFormat(reader.locale, {
      year: "numeric",
      month: "short",
      day: "numeric",
      ...hourOptions(reader),
      ...(withSeconds ? { second: "2-digit" } : {}),
      timeZone,
      timeZoneName: "short",
    }),
  );
}

/** Hours and minutes only, e.g. a free slot's start. */
export function timeFormat(reader: TimeReader, timeZone: string): Intl.DateTimeFormat {
  const hc = hourCycleOf(reader);
  return cached(`t|${reader.locale}|${hc}|${timeZone}`, () => new Intl.DateTimeFormat(reader.locale, { ...hourOptions(reader), timeZone }));
}

/** A day's short name, e.g. "Sat, Nov 28". */
export function dayFormat(locale: string, timeZone = "UTC"): Intl.DateTimeFormat {
  return cached(`d|${locale}|${timeZone}`, () => new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone }));
}
