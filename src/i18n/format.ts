/** A date and time in the organisation's zone, with the zone named: people must never guess which clock it is. */
export function dateTimeFormat(locale: string, timeZone: string, withSeconds = false): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(withSeconds ? { second: "2-digit" } : {}),
    timeZone,
    timeZoneName: "short",
  });
}
