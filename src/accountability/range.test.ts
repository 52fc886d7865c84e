import { describe, expect, test } from "bun:test";
import { parseDayRange, recentDays } from "./range.ts";

describe("report range", () => {
  test("two days in the organisation's zone, the last one included", () => {
    const r = parseDayRange("2026-03-01", "2026-03-02", "Europe/Moscow");
    expect(r).toMatchObject({ ok: true, from: Date.parse("2026-02-28T21:00:00Z"), to: Date.parse("2026-03-02T21:00:00Z") });
  });

  test("a missing, malformed or impossible day, or an end before the start, is named per field", () => {
    expect(parseDayRange("", "2026-03-02", "UTC")).toEqual({ ok: false, errors: { from: "required" } });
    expect(parseDayRange("2026-02-30", "03/02/2026", "UTC")).toEqual({ ok: false, errors: { from: "date", to: "date" } });
    expect(parseDayRange("2026-03-02", "2026-03-01", "UTC")).toEqual({ ok: false, errors: { to: "order" } });
  });

  test("the recent days end today on the organisation's clock", () => {
    // 22:30 UTC on 1 March is already 2 March in Moscow.
    expect(recentDays(Date.parse("2026-03-01T22:30:00Z"), "Europe/Moscow", 30)).toEqual({ from: "2026-02-01", to: "2026-03-02" });
  });
});
