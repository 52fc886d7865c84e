import { describe, expect, test } from "bun:test";
import { formatExceptions, formatIntervals, parseExceptions, parseIntervals } from "./hours.ts";

describe("working hours as typed", () => {
  test("several intervals, any dash, sorted", () => {
    expect(parseIntervals("13:00–17:30, 9:00-12:00")).toEqual({ ok: true, value: [{ start: "09:00", end: "12:00" }, { start: "13:00", end: "17:30" }] });
    expect(parseIntervals("  ")).toEqual({ ok: true, value: [] });
    expect(parseIntervals("20:00-24:00")).toEqual({ ok: true, value: [{ start: "20:00", end: "24:00" }] });
  });
  test("nonsense, reversed and overlapping hours are refused with their reason", () => {
    expect(parseIntervals("nine to five")).toEqual({ ok: false, problem: "hoursFormat" });
    expect(parseIntervals("25:00-26:00")).toEqual({ ok: false, problem: "hoursFormat" });
    expect(parseIntervals("17:00-09:00")).toEqual({ ok: false, problem: "hoursOrder" });
    expect(parseIntervals("09:00-13:00, 12:00-14:00")).toEqual({ ok: false, problem: "hoursOverlap" });
  });
  test("exceptions: days off and other hours, one per line", () => {
    const parsed = parseExceptions("2026-12-31 off\n2026-12-28: 10:00-14:00\n");
    expect(parsed).toEqual({ ok: true, value: { "2026-12-31": [], "2026-12-28": [{ start: "10:00", end: "14:00" }] } });
    expect(parseExceptions("2026-02-30 off")).toEqual({ ok: false, problem: "exceptionFormat" });
    expect(parseExceptions("tomorrow off")).toEqual({ ok: false, problem: "exceptionFormat" });
    if (parsed.ok) expect(parseExceptions(formatExceptions(parsed.value))).toEqual(parsed);
    expect(formatIntervals([{ start: "09:00", end: "12:00" }])).toBe("09:00–12:00");
  });
});
