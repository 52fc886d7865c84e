// Which days of a range have free times: the day strip marks the others "No free times", and a lost or stale slot
// leads to the nearest day that still has some. One slot computation per specialist over the whole range (not one
// per day), so the public slot page stays a handful of queries for anonymous visitors too. Only whether a day has a
// free time comes out of here: nothing about who holds the busy ones.
import type { Queryable } from "../db/client.ts";
import { specialistSlots } from "./appointments.ts";
import type { Service } from "./services.ts";

export interface FreeDaysQuery {
  service: Service;
  specialistId: string | "any";
  from: Temporal.PlainDate;
  days: number;
  /** The reader's zone: a day is a date there. */
  timeZone: string;
  now: Temporal.Instant;
  /** An appointment being moved: its own span counts as free. */
  except?: string;
  ignoreNotice?: boolean;
}

/** The dates (YYYY-MM-DD, in the reader's zone) within [from, from + days) on which some free time starts. */
export function freeDays(db: Queryable, q: FreeDaysQuery): Set<string> {
  const ids = q.specialistId === "any" ? q.service.specialistIds : q.service.specialistIds.filter((s) => s === q.specialistId);
  const start = q.from.toZonedDateTime({ timeZone: q.timeZone }).toInstant();
  const end = q.from.add({ days: q.days }).toZonedDateTime({ timeZone: q.timeZone }).toInstant();
  const found = new Set<string>();
  for (const id of ids) {
    for (const slot of specialistSlots(db, q.service, id, start, end, q.now, q.except, q.ignoreNotice)) {
      found.add(slot.start.toInstant().toZonedDateTimeISO(q.timeZone).toPlainDate().toString());
    }
  }
  return found;
}

/** Looked at in turn: the next free day is most often within the week, so the long look is rarely paid for. */
const NEAREST_WINDOWS = [7, 49];

/** The first day from `from` on with a free time, looking eight weeks ahead; null when there is none that soon. */
export function nearestFreeDay(db: Queryable, q: Omit<FreeDaysQuery, "days">): Temporal.PlainDate | null {
  let from = q.from;
  for (const days of NEAREST_WINDOWS) {
    const first = [...freeDays(db, { ...q, from, days })].sort()[0];
    if (first) return Temporal.PlainDate.from(first);
    from = from.add({ days });
  }
  return null;
}

/** Whether a start is still a free time of the specialist (a confirmation page opened late, or after signing in). */
export function isOffered(db: Queryable, q: { service: Service; specialistId: string; start: number; now: Temporal.Instant; ignoreNotice?: boolean }): boolean {
  const start = Temporal.Instant.fromEpochMilliseconds(q.start);
  const slots = specialistSlots(db, q.service, q.specialistId, start, start.add({ minutes: 1 }), q.now, undefined, q.ignoreNotice);
  return slots.some((s) => s.start.epochMilliseconds === q.start);
}
