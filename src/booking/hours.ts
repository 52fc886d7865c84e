// Working hours as people type them: "09:00–12:00, 13:00–17:30" for a weekday, and one exception per line
// ("2026-12-31 off", "2026-12-28 10:00-14:00"). Pure parsing and printing, so the form and its errors are testable.
import type { Availability, Interval } from "./slots.ts";

export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const WEEKDAYS: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 7];

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: "hoursFormat" | "hoursOrder" | "hoursOverlap" | "exceptionFormat" };

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$|^24:00$/;

/** "09:00-12:00, 13:00-17:00" → intervals, sorted, non-overlapping. Empty text: no hours that day. */
export function parseIntervals(text: string): Parsed<Interval[]> {
  const parts = text.split(/[,;]/).map((p) => p.trim()).filter(Boolean);
  const out: Interval[] = [];
  for (const part of parts) {
    const m = /^(\S+)\s*[-–—]\s*(\S+)$/.exec(part);
    if (!m || !TIME.test(m[1]!) || !TIME.test(m[2]!)) return { ok: false, problem: "hoursFormat" };
    const start = pad(m[1]!);
    const end = pad(m[2]!);
    if (start >= end) return { ok: false, problem: "hoursOrder" };
    out.push({ start, end });
  }
  out.sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let i = 1; i < out.length; i++) if (out[i]!.start < out[i - 1]!.end) return { ok: false, problem: "hoursOverlap" };
  return { ok: true, value: out };
}

/** One exception per line: a date, then "off" (or "-") or intervals. */
export function parseExceptions(text: string): Parsed<Record<string, Interval[]>> {
  const out: Record<string, Interval[]> = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const m = /^(\d{4}-\d{2}-\d{2})[:\s]+(.+)$/.exec(line);
    if (!m || !isDate(m[1]!)) return { ok: false, problem: "exceptionFormat" };
    const rest = m[2]!.trim().toLowerCase();
    if (rest === "off" || rest === "-" || rest === "выходной") {
      out[m[1]!] = [];
      continue;
    }
    const intervals = parseIntervals(rest);
    if (!intervals.ok) return intervals;
    out[m[1]!] = intervals.value;
  }
  return { ok: true, value: out };
}

export function formatIntervals(intervals: readonly Interval[] | undefined): string {
  return (intervals ?? []).map((i) => `${i.start}–${i.end}`).join(", ");
}

export function formatExceptions(exceptions: Availability["exceptions"]): string {
  return Object.entries(exceptions)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, intervals]) => `${date} ${intervals.length === 0 ? "off" : formatIntervals(intervals)}`)
    .join("\n");
}

function pad(time: string): string {
  return time.length === 4 ? `0${time}` : time;
}

function isDate(text: string): boolean {
  try {
    return Temporal.PlainDate.from(text).toString() === text;
  } catch {
    return false;
  }
}
