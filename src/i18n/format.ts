// Date and time formats. Building an Intl.DateTimeFormat costs far more than using one (it was the slot page's
// largest cost), so each (locale, zone, style) is built once and kept.
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

/** A date and time in the organisation's zone, with the zone named: people must never guess which clock it is. */
export function dateTimeFormat(locale: string, timeZone: string, withSeconds = false): Intl.DateTimeFormat {
  return cached(`dt|${locale}|${timeZone}|${withSeconds}`, () =>
    new Intl.DateTimeFormat(locale, {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      ...(withSeconds ? { second: "2-digit" } : {}),
      timeZone,
      timeZoneName: "short",
    }),
  );
}

/** Hours and minutes only, e.g. a free slot's start. */
export function timeFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  return cached(`t|${locale}|${timeZone}`, () => new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone }));
}

/** A day's short name, e.g. "Sat, Nov 28". */
export function dayFormat(locale: string, timeZone = "UTC"): Intl.DateTimeFormat {
  return cached(`d|${locale}|${timeZone}`, () => new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone }));
}
