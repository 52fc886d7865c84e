import { describe, expect, test } from "bun:test";
import { deadlineState, incidentDeadlines, spanParts } from "./deadlines.ts";

const H = 3_600_000;
const found = Date.parse("2026-03-02T09:00:00Z");

describe("breach notification deadlines", () => {
  test("not done: due with the time left, then overdue by how much", () => {
    expect(deadlineState(found, 72, null, found + 10 * H)).toEqual({ state: "due", dueAt: found + 72 * H, remainingMs: 62 * H });
    expect(deadlineState(found, 72, null, found + 72 * H)).toEqual({ state: "due", dueAt: found + 72 * H, remainingMs: 0 }); // the last instant is still in time
    expect(deadlineState(found, 24, null, found + 30 * H)).toEqual({ state: "overdue", dueAt: found + 24 * H, overdueByMs: 6 * H });
  });

  test("done: met when in time, late when after, whatever the clock says now", () => {
    expect(deadlineState(found, 24, found + 24 * H, found + 100 * H)).toEqual({ state: "met", dueAt: found + 24 * H, doneAt: found + 24 * H });
    expect(deadlineState(found, 24, found + 25 * H, found + 100 * H)).toEqual({ state: "late", dueAt: found + 24 * H, doneAt: found + 25 * H, lateByMs: H });
  });

  test("an incident's deadlines: 152-FZ first notice at 24 h, GDPR and 152-FZ results at 72 h; each authority's notice counts for its own", () => {
    const d = incidentDeadlines({ discoveredAt: found, authorityNotifiedAt: found + 20 * H, roskomnadzorNotifiedAt: found + 10 * H, followUpAt: null }, found + 80 * H);
    expect(d.map((x) => [x.kind, x.hours, x.status.state])).toEqual([
      ["fz152-notice", 24, "met"],
      ["gdpr-authority", 72, "met"],
      ["fz152-results", 72, "overdue"],
    ]);
    const late = incidentDeadlines({ discoveredAt: found, authorityNotifiedAt: found + 30 * H, roskomnadzorNotifiedAt: found + 30 * H, followUpAt: found + 70 * H }, found + 80 * H);
    expect(late.map((x) => x.status.state)).toEqual(["late", "met", "met"]);
    // Only the GDPR authority told: Roskomnadzor's first notice is still overdue.
    const one = incidentDeadlines({ discoveredAt: found, authorityNotifiedAt: found + 10 * H, roskomnadzorNotifiedAt: null, followUpAt: null }, found + 30 * H);
    expect(one.map((x) => [x.kind, x.status.state])).toEqual([
      ["fz152-notice", "overdue"],
      ["gdpr-authority", "met"],
      ["fz152-results", "due"],
    ]);
  });

  test("spans read in days, hours and minutes, at least a minute", () => {
    expect(spanParts(2 * 24 * H + 5 * H + 59_999)).toEqual({ days: 2, hours: 5, minutes: 0 });
    expect(spanParts(20 * 60_000)).toEqual({ days: 0, hours: 0, minutes: 20 });
    expect(spanParts(0)).toEqual({ days: 0, hours: 0, minutes: 1 });
  });
});
