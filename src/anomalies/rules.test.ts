import { describe, expect, test } from "bun:test";
import { DEFAULT_ORG_HOURS } from "../settings/settings.ts";
import { countInWindow, isAdminAction, isExport, isOutsideHours, isRecordRead, nextStep, RULE_LIMITS } from "./rules.ts";

const MIN = 60_000;
const moscow = (iso: string) => Temporal.ZonedDateTime.from(`${iso}[Europe/Moscow]`).epochMilliseconds;

describe("which entries the rules watch", () => {
  test.each([
    ["settings.change", true],
    ["settings.logo", true],
    ["person.role", true],
    ["invitation.create", true],
    ["invitation.reissue", true],
    ["person.create", true],
    ["invitation.accept", false],
    ["consent.accept", false],
    ["password.change", false],
    ["backup.create", false],
    ["keys.rotate", true],
    ["two-factor.reset-by-admin", true],
    ["anomaly.acknowledge", true],
    ["appointment.view", false],
    ["signin.failure", false],
    ["two-factor.enable", false],
    ["settings", false],
    ["settings.anything-new", false],
  ])("%s is an admin action: %p", (action, expected) => expect(isAdminAction(action)).toBe(expected));

  test.each([
    ["records.export", true],
    ["client-data.export", true],
    ["audit.export", true],
    ["export", false],
    ["records.exported", false],
    ["export.records", false],
  ])("%s is an export: %p", (action, expected) => expect(isExport(action)).toBe(expected));

  test("record reads are the reads of someone's record, not searches or schedules", () => {
    expect(["appointment.view", "person.view", "file.download"].every(isRecordRead)).toBe(true);
    expect(["client.search", "schedule.view", "people.list", "appointment.create"].some(isRecordRead)).toBe(false);
  });
});

describe("working hours, on the organisation's clock", () => {
  test.each([
    ["2026-12-02T03:00", true], // Wednesday night
    ["2026-12-02T06:59", true],
    ["2026-12-02T07:00", false],
    ["2026-12-02T11:00", false],
    ["2026-12-02T19:59", false],
    ["2026-12-02T20:00", true],
    ["2026-12-05T11:00", true], // Saturday
    ["2026-12-06T11:00", true], // Sunday
  ])("%s Moscow time is outside Mon–Fri 07:00–20:00: %p", (local, outside) => {
    expect(isOutsideHours(moscow(local), DEFAULT_ORG_HOURS, "Europe/Moscow")).toBe(outside);
  });

  test("the same instant reads differently in another zone", () => {
    const at = moscow("2026-12-02T11:00"); // 08:00 UTC, 21:00 in Auckland
    expect(isOutsideHours(at, DEFAULT_ORG_HOURS, "UTC")).toBe(false);
    expect(isOutsideHours(at, DEFAULT_ORG_HOURS, "Pacific/Auckland")).toBe(true);
  });

  test("weekend days count when the organisation works them", () => {
    expect(isOutsideHours(moscow("2026-12-05T11:00"), { days: [6], from: "10:00", to: "14:00" }, "Europe/Moscow")).toBe(false);
  });
});

describe("counting in a sliding window", () => {
  test("counts distinct keys in (end - window, end]", () => {
    const events = [
      { at: 0, key: "a" },
      { at: 1 * MIN, key: "b" },
      { at: 2 * MIN, key: "b" },
      { at: 11 * MIN, key: "c" },
    ];
    expect(countInWindow(events, 2 * MIN, 10 * MIN)).toEqual({ count: 2, firstAt: 0 });
    expect(countInWindow(events, 10 * MIN, 10 * MIN)).toEqual({ count: 1, firstAt: 1 * MIN }); // "a" at 0 is just out
    expect(countInWindow(events, 11 * MIN, 10 * MIN)).toEqual({ count: 2, firstAt: 2 * MIN });
    expect(countInWindow(events, 30 * MIN, 10 * MIN)).toBeNull();
  });
});

describe("one alert per rule, subject and window", () => {
  const d = (at: number, count: number) => ({ rule: "bulk-record-reads" as const, subject: "p", at, firstAt: 0, count, action: "appointment.view" });
  const limit = RULE_LIMITS["bulk-record-reads"];

  test("below the limit nothing happens", () => {
    expect(nextStep(d(5 * MIN, limit.count - 1), null)).toEqual({ kind: "none" });
  });

  test("at the limit an alert is raised, later entries in its window grow it, a rescan changes nothing", () => {
    expect(nextStep(d(5 * MIN, limit.count), null)).toEqual({ kind: "raise" });
    const raised = { id: 7, triggeredAt: 5 * MIN, count: limit.count, lastAt: 5 * MIN };
    expect(nextStep(d(5 * MIN, limit.count), raised)).toEqual({ kind: "none" });
    expect(nextStep(d(6 * MIN, limit.count + 3), raised)).toEqual({ kind: "update", id: 7, count: limit.count + 3, lastAt: 6 * MIN });
    const grown = { ...raised, count: limit.count + 3, lastAt: 6 * MIN };
    expect(nextStep(d(6 * MIN, limit.count + 3), grown)).toEqual({ kind: "none" });
    expect(nextStep(d(5 * MIN, limit.count), grown)).toEqual({ kind: "none" }); // never shrinks
  });

  test("after the window a new alert is raised", () => {
    const raised = { id: 7, triggeredAt: 5 * MIN, count: limit.count, lastAt: 5 * MIN };
    expect(nextStep(d(5 * MIN + limit.windowMs - 1, limit.count), raised).kind).toBe("update");
    expect(nextStep(d(5 * MIN + limit.windowMs, limit.count), raised)).toEqual({ kind: "raise" });
  });
});
