// The notification deadlines of a personal-data breach, counted from when it was discovered. Pure: no clock, no
// database; the incident register (incidents.ts) feeds it and the pages show what it decides.
//
//   GDPR art. 33(1)          the supervisory authority, within 72 hours of becoming aware
//   152-FZ art. 21(3.1)(1)   Roskomnadzor, within 24 hours: the incident, its presumed causes, the harm, the measures
//   152-FZ art. 21(3.1)(2)   Roskomnadzor, within 72 hours: the results of the internal investigation
// Notifying the data subjects (GDPR art. 34) has no fixed hour ("without undue delay"): it is recorded, not timed.

const HOUR = 3_600_000;

export const DEADLINES = {
  "gdpr-authority": { hours: 72, field: "authorityNotifiedAt" },
  "fz152-notice": { hours: 24, field: "roskomnadzorNotifiedAt" },
  "fz152-results": { hours: 72, field: "followUpAt" },
} as const;

export type DeadlineKind = keyof typeof DEADLINES;
export const DEADLINE_KINDS = Object.keys(DEADLINES) as DeadlineKind[];

export type DeadlineState =
  /** Done in time. */
  | { state: "met"; dueAt: number; doneAt: number }
  /** Done, but after the deadline. */
  | { state: "late"; dueAt: number; doneAt: number; lateByMs: number }
  /** Not done, and the deadline has passed. */
  | { state: "overdue"; dueAt: number; overdueByMs: number }
  /** Not done yet, still in time. */
  | { state: "due"; dueAt: number; remainingMs: number };

/** One deadline: `hours` after discovery, done at `doneAt` (null: not yet), seen at `now`. */
export function deadlineState(discoveredAt: number, hours: number, doneAt: number | null, now: number): DeadlineState {
  const dueAt = discoveredAt + hours * HOUR;
  if (doneAt !== null) return doneAt <= dueAt ? { state: "met", dueAt, doneAt } : { state: "late", dueAt, doneAt, lateByMs: doneAt - dueAt };
  return now > dueAt ? { state: "overdue", dueAt, overdueByMs: now - dueAt } : { state: "due", dueAt, remainingMs: dueAt - now };
}

export interface IncidentTimes {
  discoveredAt: number;
  authorityNotifiedAt: number | null;
  roskomnadzorNotifiedAt: number | null;
  followUpAt: number | null;
}

/** Every deadline of an incident, in the order they fall due (24 h first). */
export function incidentDeadlines(i: IncidentTimes, now: number): { kind: DeadlineKind; hours: number; status: DeadlineState }[] {
  return DEADLINE_KINDS.map((kind) => ({ kind, hours: DEADLINES[kind].hours, status: deadlineState(i.discoveredAt, DEADLINES[kind].hours, i[DEADLINES[kind].field], now) })).sort(
    (a, b) => a.hours - b.hours,
  );
}

/** A span for people: "2 d 5 h", "5 h 20 min", "20 min" (rounded down to the minute, never below 1 min). */
export function spanParts(ms: number): { days: number; hours: number; minutes: number } {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  return { days: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60), minutes: minutes % 60 };
}
