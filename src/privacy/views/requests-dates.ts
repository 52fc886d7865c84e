// Dates of requests as people read them: a day with its year, on the reader's (or the organisation's) clock.
const formats = new Map<string, Intl.DateTimeFormat>();

export function formatDay(locale: string, timeZone: string, ms: number): string {
  const key = `${locale}|${timeZone}`;
  let f = formats.get(key);
  if (!f) formats.set(key, (f = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone })));
  return f.format(ms);
}

/** The deadline's day: `dueAt` is the first instant past it (requests-deadline.ts). */
export function formatDueDay(locale: string, timeZone: string, dueAt: number): string {
  return formatDay(locale, timeZone, dueAt - 1);
}
