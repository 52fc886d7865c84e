// Sign-in throttling: at most LIMITS[kind].failures failed attempts per key in a window that starts at the first
// failure. Keys are per account ("account:" + the email's blind index, so unknown emails are throttled exactly like
// known ones and the database holds no address) and per client address. When the window has passed, the next attempt
// is allowed again: a legitimate person is never locked out beyond the wait they are told.
import type { Queryable } from "../db/client.ts";
import * as store from "./accounts.store.ts";

export const LIMITS = {
  account: { failures: 5, windowMs: 15 * 60_000 },
  ip: { failures: 20, windowMs: 15 * 60_000 },
  /** Self-registrations per address: every attempt counts, so the form cannot be used to test many emails. */
  register: { failures: 10, windowMs: 60 * 60_000 },
  /** Sign-in codes sent by email per person: every code sent counts. */
  emailCode: { failures: 5, windowMs: 60 * 60_000 },
} as const;

export type ThrottleKey = { kind: keyof typeof LIMITS; id: string };

/** Milliseconds until another attempt is allowed for all the keys; 0 when it is allowed now. */
export function retryAfter(db: Queryable, keys: readonly ThrottleKey[], now = Date.now()): number {
  let wait = 0;
  for (const key of keys) {
    const limit = LIMITS[key.kind];
    const row = store.getFailures(db, `${key.kind}:${key.id}`);
    if (!row || row.failures < limit.failures) continue;
    wait = Math.max(wait, row.windowStartedAt + limit.windowMs - now);
  }
  return Math.max(0, wait);
}

export function recordFailure(db: Queryable, keys: readonly ThrottleKey[], now = Date.now()): void {
  for (const key of keys) {
    const id = `${key.kind}:${key.id}`;
    const row = store.getFailures(db, id);
    if (!row || now - row.windowStartedAt >= LIMITS[key.kind].windowMs) store.putFailures(db, id, 1, now);
    else store.putFailures(db, id, row.failures + 1, row.windowStartedAt);
  }
}

export function clearFailures(db: Queryable, key: ThrottleKey): void {
  store.clearFailures(db, `${key.kind}:${key.id}`);
}

/** Forgets failure windows that ended long ago (they no longer throttle anything). */
export function pruneFailures(db: Queryable, now = Date.now()): number {
  const longest = Math.max(...Object.values(LIMITS).map((l) => l.windowMs));
  return store.deleteFailuresOlderThan(db, now - longest);
}
