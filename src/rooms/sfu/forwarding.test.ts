import { describe, expect, test } from "bun:test";
import { planSubscriptions, wantedSubscriptions } from "./forwarding.ts";

describe("forwarding decisions", () => {
  test("two admitted publishers receive each other; the waiting one receives nothing and is received by nobody", () => {
    const wanted = wantedSubscriptions([
      { id: "doctor", admitted: true, publishing: true },
      { id: "patient", admitted: true, publishing: true },
      { id: "stranger", admitted: false, publishing: true },
    ]);
    expect(wanted).toEqual([
      { subscriber: "patient", source: "doctor" },
      { subscriber: "doctor", source: "patient" },
    ]);
  });

  test("an admitted participant not yet publishing still receives the others", () => {
    expect(
      wantedSubscriptions([
        { id: "a", admitted: true, publishing: true },
        { id: "b", admitted: true, publishing: false },
      ]),
    ).toEqual([{ subscriber: "b", source: "a" }]);
  });

  test("a small group: everyone receives everyone else once", () => {
    const ids = ["a", "b", "c", "d"];
    const wanted = wantedSubscriptions(ids.map((id) => ({ id, admitted: true, publishing: true })));
    expect(wanted).toHaveLength(12);
    expect(new Set(wanted.map((s) => `${s.subscriber}${s.source}`)).size).toBe(12);
    expect(wanted.some((s) => s.subscriber === s.source)).toBe(false);
  });

  test("leaving closes both directions; joining opens only what is new", () => {
    const before = wantedSubscriptions(["a", "b", "c"].map((id) => ({ id, admitted: true, publishing: true })));
    const after = wantedSubscriptions(["a", "b"].map((id) => ({ id, admitted: true, publishing: true })));
    const plan = planSubscriptions(before, after);
    expect(plan.open).toEqual([]);
    expect(plan.close).toEqual(
      expect.arrayContaining([
        { subscriber: "c", source: "a" },
        { subscriber: "a", source: "c" },
        { subscriber: "c", source: "b" },
        { subscriber: "b", source: "c" },
      ]),
    );
    expect(plan.close).toHaveLength(4);
    expect(planSubscriptions(after, before).open).toHaveLength(4);
  });
});
