// Date search parameters (FHIR R4 §3.1.1.4.2): a value stands for the whole range of its precision ("2025-03" is
// all of March), a prefix compares the searched instant with that range. A value without a zone is read in the
// organisation's zone. Every date parameter of a search narrows one window [from, to) of instants.

export interface Window {
  from: number;
  to: number;
}

export const OPEN_WINDOW: Window = { from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER };

const VALUE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The range [lo, hi) a date value stands for; null when it is not a FHIR date or dateTime. */
export function rangeOf(value: string, zone: string): Window | null {
  const m = VALUE.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, offset] = m;
  try {
    if (h !== undefined) {
      const local = `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}`;
      const start = offset ? Temporal.Instant.from(`${local}${offset}`) : Temporal.PlainDateTime.from(local).toZonedDateTime(zone).toInstant();
      return { from: start.epochMilliseconds, to: start.epochMilliseconds + (s === undefined ? 60_000 : 1000) };
    }
    const first = Temporal.PlainDate.from({ year: Number(y), month: Number(mo ?? 1), day: Number(d ?? 1) }, { overflow: "reject" });
    const next = d !== undefined ? first.add({ days: 1 }) : mo !== undefined ? first.add({ months: 1 }) : first.add({ years: 1 });
    const ms = (p: Temporal.PlainDate) => p.toZonedDateTime({ timeZone: zone }).epochMilliseconds;
    return { from: ms(first), to: ms(next) };
  } catch {
    return null;
  }
}

/** The window the date parameters allow, or the value that could not be read. */
export function dateWindow(values: readonly string[], zone: string): { ok: true; window: Window } | { ok: false; value: string } {
  let w = OPEN_WINDOW;
  for (const raw of values) {
    const m = /^(eq|ge|gt|le|lt)?(.*)$/.exec(raw)!;
    const range = rangeOf(m[2]!, zone);
    if (!range) return { ok: false, value: raw };
    const allowed: Window =
      m[1] === "ge" ? { from: range.from, to: OPEN_WINDOW.to }
      : m[1] === "gt" ? { from: range.to, to: OPEN_WINDOW.to }
      : m[1] === "le" ? { from: OPEN_WINDOW.from, to: range.to }
      : m[1] === "lt" ? { from: OPEN_WINDOW.from, to: range.from }
      : range;
    w = { from: Math.max(w.from, allowed.from), to: Math.min(w.to, allowed.to) };
  }
  return { ok: true, window: w };
}
