import { describe, expect, test } from "bun:test";
import { type Availability, freeSlots, type SlotQuery } from "./slots.ts";

const service = { durationMinutes: 60, bufferBeforeMinutes: 0, bufferAfterMinutes: 0 };
const longAgo = Temporal.Instant.from("2026-01-01T00:00:00Z");

function availability(timeZone: string, over: Partial<Availability> = {}): Availability {
  return { timeZone, weekly: {}, exceptions: {}, minNoticeMinutes: 0, horizonDays: 3650, ...over };
}

function slots(q: Partial<SlotQuery> & { availability: Availability; date: string }): string[] {
  const d = Temporal.PlainDate.from(q.date);
  return freeSlots({ service, busy: [], from: d, to: d, now: longAgo, stepMinutes: 60, ...q }).map((s) => s.start.toString({ timeZoneName: "never" }));
}

describe("slot maths", () => {
  test("Moscow (no DST): Monday 09–12, hour-long sessions", () => {
    expect(slots({ availability: availability("Europe/Moscow", { weekly: { 1: [{ start: "09:00", end: "12:00" }] } }), date: "2026-03-30" })).toEqual([
      "2026-03-30T09:00:00+03:00",
      "2026-03-30T10:00:00+03:00",
      "2026-03-30T11:00:00+03:00",
    ]);
  });

  test("several intervals a day, and nothing on days without hours", () => {
    const av = availability("Europe/Moscow", { weekly: { 1: [{ start: "09:00", end: "10:00" }, { start: "14:00", end: "16:00" }] } });
    expect(slots({ availability: av, date: "2026-03-30" })).toEqual(["2026-03-30T09:00:00+03:00", "2026-03-30T14:00:00+03:00", "2026-03-30T15:00:00+03:00"]);
    expect(slots({ availability: av, date: "2026-03-31" })).toEqual([]);
  });

  test("Berlin, spring forward (29 March 2026): 01:00–05:00 holds three real hours; 02:00 does not exist", () => {
    const av = availability("Europe/Berlin", { weekly: { 7: [{ start: "01:00", end: "05:00" }] } });
    expect(slots({ availability: av, date: "2026-03-29" })).toEqual(["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"]);
  });

  test("Berlin, a working day starting inside the gap starts when the clock resumes", () => {
    const av = availability("Europe/Berlin", { weekly: { 7: [{ start: "02:30", end: "05:00" }] } });
    expect(slots({ availability: av, date: "2026-03-29" })[0]).toBe("2026-03-29T03:30:00+02:00");
  });

  test("Berlin, fall back (25 October 2026): 01:00–04:00 holds four real hours; 02:00 happens twice", () => {
    const av = availability("Europe/Berlin", { weekly: { 7: [{ start: "01:00", end: "04:00" }] } });
    expect(slots({ availability: av, date: "2026-10-25" })).toEqual([
      "2026-10-25T01:00:00+02:00",
      "2026-10-25T02:00:00+02:00",
      "2026-10-25T02:00:00+01:00",
      "2026-10-25T03:00:00+01:00",
    ]);
  });

  test("New York around its DST dates (8 March and 1 November 2026): offsets follow the date", () => {
    const av = availability("America/New_York", { weekly: { 7: [{ start: "09:00", end: "10:00" }], 6: [{ start: "09:00", end: "10:00" }] } });
    expect(slots({ availability: av, date: "2026-03-07" })).toEqual(["2026-03-07T09:00:00-05:00"]);
    expect(slots({ availability: av, date: "2026-03-08" })).toEqual(["2026-03-08T09:00:00-04:00"]);
    expect(slots({ availability: av, date: "2026-11-01" })).toEqual(["2026-11-01T09:00:00-05:00"]);
    // the same wall-clock slot is a different UTC instant across the change
    const before = freeSlots({ availability: av, service, busy: [], from: Temporal.PlainDate.from("2026-03-07"), to: Temporal.PlainDate.from("2026-03-08"), now: longAgo, stepMinutes: 60 });
    expect(before.map((s) => s.start.toInstant().toString())).toEqual(["2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"]);
  });

  test("exceptions: a day off, and extra hours on a Saturday", () => {
    const av = availability("Europe/Moscow", {
      weekly: { 1: [{ start: "09:00", end: "11:00" }] },
      exceptions: { "2026-05-04": [], "2026-05-09": [{ start: "10:00", end: "12:00" }] },
    });
    expect(slots({ availability: av, date: "2026-05-04" })).toEqual([]);
    expect(slots({ availability: av, date: "2026-05-09" })).toEqual(["2026-05-09T10:00:00+03:00", "2026-05-09T11:00:00+03:00"]);
  });

  test("buffers keep a gap around other appointments", () => {
    const av = availability("Europe/Moscow", { weekly: { 1: [{ start: "09:00", end: "14:00" }] } });
    const busy = [{ start: Temporal.Instant.from("2026-03-30T07:45:00Z"), end: Temporal.Instant.from("2026-03-30T09:15:00Z") }]; // 10:45–12:15 local
    const withBuffers = { durationMinutes: 45, bufferBeforeMinutes: 15, bufferAfterMinutes: 15 };
    const free = slots({ availability: av, date: "2026-03-30", busy, service: withBuffers, stepMinutes: 30 });
    expect(free).toEqual(["2026-03-30T09:00:00+03:00", "2026-03-30T09:30:00+03:00", "2026-03-30T12:30:00+03:00", "2026-03-30T13:00:00+03:00"]);
  });

  test("minimum notice and horizon, measured from now", () => {
    const av = availability("Europe/Moscow", { weekly: { 1: [{ start: "09:00", end: "12:00" }], 2: [{ start: "09:00", end: "12:00" }] }, minNoticeMinutes: 90, horizonDays: 1 });
    const now = Temporal.Instant.from("2026-03-30T06:30:00Z"); // 09:30 Moscow, Monday: earliest 11:00, latest Tue 09:30
    const got = freeSlots({ availability: av, service, busy: [], from: Temporal.PlainDate.from("2026-03-30"), to: Temporal.PlainDate.from("2026-03-31"), now, stepMinutes: 60 });
    expect(got.map((s) => s.start.toString({ timeZoneName: "never" }))).toEqual(["2026-03-30T11:00:00+03:00", "2026-03-31T09:00:00+03:00"]);
  });
});
