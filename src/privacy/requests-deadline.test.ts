import { describe, expect, test } from "bun:test";
import { dueAt, dueDate, dueDay, latestExtendedDueAt, mayExtend, SOON_MS, urgency } from "./requests-deadline.ts";

const d = (s: string) => Temporal.PlainDate.from(s);

describe("GDPR: one calendar month", () => {
  test("the same day of the next month", () => {
    expect(dueDate("gdpr", d("2026-03-15")).toString()).toBe("2026-04-15");
    expect(dueDate("gdpr", d("2026-12-03")).toString()).toBe("2027-01-03");
  });
  test("clamped to the month's last day", () => {
    expect(dueDate("gdpr", d("2026-01-31")).toString()).toBe("2026-02-28");
    expect(dueDate("gdpr", d("2028-01-31")).toString()).toBe("2028-02-29");
    expect(dueDate("gdpr", d("2026-03-31")).toString()).toBe("2026-04-30");
  });
  test("weekends and free days do not move it", () => {
    expect(dueDate("gdpr", d("2026-02-14"), {}, new Set(["2026-03-14"])).toString()).toBe("2026-03-14"); // a Saturday
  });
});

describe("152-FZ: ten working days", () => {
  test("from a Monday: two weeks later, the Monday after next", () => {
    expect(dueDate("152-fz", d("2026-11-30")).toString()).toBe("2026-12-14");
  });
  test("received on a Friday or a Saturday, counting starts on Monday", () => {
    expect(dueDate("152-fz", d("2026-12-04")).toString()).toBe("2026-12-18");
    expect(dueDate("152-fz", d("2026-12-05")).toString()).toBe("2026-12-18");
  });
  test("the organisation's free days are skipped", () => {
    // Russia's New Year holidays: 1–8 January 2027 (Friday to Friday).
    const holidays = new Set(["2027-01-01", "2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"]);
    expect(dueDate("152-fz", d("2026-12-30"), {}, holidays).toString()).toBe("2027-01-21");
    expect(dueDate("152-fz", d("2026-12-30")).toString()).toBe("2027-01-13");
  });
});

describe("152-FZ: by what is asked", () => {
  test("a correction: seven working days (art. 20 part 3)", () => {
    expect(dueDate("152-fz", d("2026-11-30"), { kind: "rectification" }).toString()).toBe("2026-12-09");
    expect(dueDate("152-fz", d("2026-12-04"), { kind: "rectification" }).toString()).toBe("2026-12-15");
  });
  test("access and the rest: ten working days", () => {
    for (const kind of ["access", "erasure", "restriction", "objection", "portability"]) expect(dueDate("152-fz", d("2026-11-30"), { kind }).toString()).toBe("2026-12-14");
  });
  test("a withdrawal of consent: thirty calendar days, weekends and free days included (art. 21 part 5)", () => {
    expect(dueDate("152-fz", d("2026-12-03"), { kind: "objection", cause: "consent-withdrawal" }, new Set(["2027-01-01"])).toString()).toBe("2027-01-02");
  });
  test("GDPR: one month whatever is asked", () => {
    expect(dueDate("gdpr", d("2026-12-03"), { kind: "rectification" }).toString()).toBe("2027-01-03");
    expect(dueDate("gdpr", d("2026-12-03"), { kind: "objection", cause: "consent-withdrawal" }).toString()).toBe("2027-01-03");
  });
});

describe("extension", () => {
  test("GDPR extends any request; 152-FZ only its ten working days", () => {
    expect(mayExtend("gdpr", { kind: "rectification" })).toBe(true);
    expect(mayExtend("gdpr", { kind: "objection", cause: "consent-withdrawal" })).toBe(true);
    expect(mayExtend("152-fz", { kind: "access" })).toBe(true);
    expect(mayExtend("152-fz", { kind: "rectification" })).toBe(false);
    expect(mayExtend("152-fz", { kind: "objection", cause: "consent-withdrawal" })).toBe(false);
  });
  test("GDPR: two further months after the due day", () => {
    const due = dueAt("gdpr", Date.parse("2026-12-03T09:00:00Z"), "UTC"); // due 3 January 2027
    expect(dueDay(latestExtendedDueAt("gdpr", due, "UTC"), "UTC").toString()).toBe("2027-03-03");
  });
  test("152-FZ: five working days after the due day, free days skipped", () => {
    const due = dueAt("152-fz", Date.parse("2026-11-30T09:00:00Z"), "UTC"); // due Monday 14 December
    expect(dueDay(latestExtendedDueAt("152-fz", due, "UTC"), "UTC").toString()).toBe("2026-12-21");
    expect(dueDay(latestExtendedDueAt("152-fz", due, "UTC", new Set(["2026-12-15"])), "UTC").toString()).toBe("2026-12-22");
  });
});

describe("on the organisation's clock", () => {
  test("received late on the 31st in Moscow is the 1st there: due on the 1st of the next month", () => {
    const received = Date.parse("2026-01-31T22:30:00Z"); // 01:30 on 1 February in Moscow
    const due = dueAt("gdpr", received, "Europe/Moscow");
    expect(dueDay(due, "Europe/Moscow").toString()).toBe("2026-03-01");
    expect(due).toBe(Date.parse("2026-03-01T21:00:00Z")); // midnight of 2 March, Moscow
    expect(dueDay(dueAt("gdpr", received, "UTC"), "UTC").toString()).toBe("2026-02-28");
  });
  test("overdue once the due day is over; soon within three days", () => {
    const due = dueAt("152-fz", Date.parse("2026-11-30T09:00:00Z"), "UTC");
    expect(urgency(due, due)).toBe("overdue");
    expect(urgency(due, due - 1)).toBe("soon");
    expect(urgency(due, due - SOON_MS)).toBe("soon");
    expect(urgency(due, due - SOON_MS - 1)).toBe("later");
  });
});
