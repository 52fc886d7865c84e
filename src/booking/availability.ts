// A specialist's availability: weekly hours, date exceptions, minimum notice and booking horizon, in their own zone.
// Without saved hours a specialist has none (nobody can book them) until they, or an admin, set them.
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import type { Messages } from "../i18n/messages.ts";
import { isTimeZone } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./booking.store.ts";
import { parseExceptions, parseIntervals, WEEKDAYS, type Weekday } from "./hours.ts";
import type { Availability, Interval } from "./slots.ts";

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

/** A first proposal for someone with no hours yet: weekdays 9–17 in the organisation's zone. */
export function defaultAvailability(timeZone: string): Availability {
  const day = [{ start: "09:00", end: "17:00" }];
  return { timeZone, weekly: { 1: day, 2: day, 3: day, 4: day, 5: day }, exceptions: {}, minNoticeMinutes: 12 * 60, horizonDays: 60 };
}

/** The availability form: `day1`…`day7`, `exceptions`, `timeZone`, `noticeHours`, `horizonDays`. */
export function parseAvailabilityForm(form: Record<string, string>, t: Messages): { ok: true; value: Availability } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const weekly: Partial<Record<Weekday, Interval[]>> = {};
  for (const d of WEEKDAYS) {
    const parsed = parseIntervals(form[`day${d}`] ?? "");
    if (parsed.ok) {
      if (parsed.value.length) weekly[d] = parsed.value;
    } else errors[`day${d}`] = t.booking.problems[parsed.problem];
  }
  const exceptions = parseExceptions(form.exceptions ?? "");
  if (!exceptions.ok) errors.exceptions = t.booking.problems[exceptions.problem];
  const timeZone = form.timeZone ?? "";
  if (!isTimeZone(timeZone)) errors.timeZone = t.form.invalid;
  const notice = wholeIn(form.noticeHours, 0, 24 * 30);
  if (notice === null) errors.noticeHours = t.booking.problems.wholeRange(0, 720);
  const horizon = wholeIn(form.horizonDays, 1, 730);
  if (horizon === null) errors.horizonDays = t.booking.problems.wholeRange(1, 730);
  if (Object.keys(errors).length || !exceptions.ok || notice === null || horizon === null) return { ok: false, errors };
  return { ok: true, value: { timeZone, weekly, exceptions: exceptions.value, minNoticeMinutes: notice * 60, horizonDays: horizon } };
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

function wholeIn(text: string | undefined, min: number, max: number): number | null {
  if (!text || !/^\d{1,6}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= min && n <= max ? n : null;
}
