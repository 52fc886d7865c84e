// A specialist's availability: weekly hours, date exceptions, minimum notice and booking horizon, in their own zone.
// Without saved hours a specialist has none (nobody can book them) until they, or an admin, set them.
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { getSettings } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./booking.store.ts";
import type { Availability } from "./slots.ts";

export function getAvailability(db: Queryable, specialistId: string): Availability | null {
  const row = store.getAvailabilityRow(db, specialistId);
  if (!row) return null;
  return {
    timeZone: row.timeZone,
    weekly: JSON.parse(row.weekly) as Availability["weekly"],
    exceptions: JSON.parse(row.exceptions) as Availability["exceptions"],
    minNoticeMinutes: row.minNoticeMinutes,
    horizonDays: row.horizonDays,
  };
}

/** The specialist's saved hours, or for someone with none yet the first proposal below. */
export function availabilityOrDefault(db: Queryable, specialistId: string): Availability {
  return getAvailability(db, specialistId) ?? defaultAvailability(getSettings(db)?.timeZone ?? "UTC");
}

/** A first proposal for someone with no hours yet: weekdays 9–17 in the organisation's zone. */
export function defaultAvailability(timeZone: string): Availability {
  const day = [{ start: "09:00", end: "17:00" }];
  return { timeZone, weekly: { 1: day, 2: day, 3: day, 4: day, 5: day }, exceptions: {}, minNoticeMinutes: 12 * 60, horizonDays: 60 };
}

export function saveAvailability(deps: { db: Queryable; vault: Vault }, specialistId: string, av: Availability, actor: string): void {
  deps.db.transaction(
    (tx) => {
      store.upsertAvailabilityRow(tx, {
        specialistId,
        timeZone: av.timeZone,
        weekly: JSON.stringify(av.weekly),
        exceptions: JSON.stringify(av.exceptions),
        minNoticeMinutes: av.minNoticeMinutes,
        horizonDays: av.horizonDays,
        updatedAt: Date.now(),
      });
      recordAudit(tx, deps.vault, { actor, action: "availability.change", target: specialistId });
    },
    { behavior: "immediate" },
  );
}
