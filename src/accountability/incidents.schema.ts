// The incident forms as typed: times on the organisation's clock ("YYYY-MM-DDTHH:MM", a datetime-local field), the
// affected clients as email addresses one per line (found through the blind index), a count of everyone affected.
import { findPersonByEmail, type PeopleDeps } from "../people/people.ts";
import type { IncidentInput, NotificationKind } from "./incidents.ts";
import { NOTIFICATIONS } from "./incidents.ts";

export interface IncidentForm {
  title: string;
  description: string;
  emails: string;
  others: string;
  count: string;
  occurred: string;
  discovered: string;
}

/** What can be wrong with a field; the page words it (t.accountability.incidents.problems). */
export type IncidentProblem = "required" | "tooLong" | "dateTime" | "future" | "afterDiscovery" | "beforeDiscovery" | "unknownEmail" | "count" | "tooMany";

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: Record<string, IncidentProblem>; unknownLine?: number };

const TITLE_MAX = 200;
const TEXT_MAX = 2000; // the longest a shared TextArea takes
const AFFECTED_MAX = 1000;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/** "YYYY-MM-DDTHH:MM" on the organisation's clock as an instant; null if malformed or impossible. */
export function parseLocalDateTime(text: string, timeZone: string): number | null {
  if (!DATE_TIME.test(text)) return null;
  try {
    return Temporal.PlainDateTime.from(text, { overflow: "reject" }).toZonedDateTime(timeZone).epochMilliseconds;
  } catch {
    return null;
  }
}

/** An instant as a datetime-local field shows it, on the organisation's clock. */
export function localDateTimeOf(at: number, timeZone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(timeZone).toPlainDateTime().toString({ smallestUnit: "minute" });
}

export function incidentFormOf(body: Readonly<Record<string, string>>): IncidentForm {
  const field = (name: string, max: number) => (body[name] ?? "").trim().slice(0, max + 1);
  return {
    title: field("title", TITLE_MAX),
    description: field("description", TEXT_MAX),
    emails: field("emails", AFFECTED_MAX * 255),
    others: field("others", TEXT_MAX),
    count: field("count", 12),
    occurred: field("occurred", 16),
    discovered: field("discovered", 16),
  };
}

export function parseIncidentForm(deps: PeopleDeps, form: IncidentForm, timeZone: string, now: number): Parsed<IncidentInput> {
  const errors: Record<string, IncidentProblem> = {};
  let unknownLine: number | undefined;
  if (form.title === "") errors.title = "required";
  else if (form.title.length > TITLE_MAX) errors.title = "tooLong";
  if (form.description.length > TEXT_MAX) errors.description = "tooLong";
  if (form.others.length > TEXT_MAX) errors.others = "tooLong";

  const discoveredAt = form.discovered === "" ? null : parseLocalDateTime(form.discovered, timeZone);
  if (form.discovered === "") errors.discovered = "required";
  else if (discoveredAt === null) errors.discovered = "dateTime";
  else if (discoveredAt > now) errors.discovered = "future";
  const occurredAt = form.occurred === "" ? null : parseLocalDateTime(form.occurred, timeZone);
  if (form.occurred !== "" && occurredAt === null) errors.occurred = "dateTime";
  else if (occurredAt !== null && discoveredAt !== null && occurredAt > discoveredAt) errors.occurred = "afterDiscovery";

  const lines = form.emails.split(/\r?\n/).map((l) => l.trim());
  const ids: string[] = [];
  if (lines.filter(Boolean).length > AFFECTED_MAX) errors.emails = "tooMany";
  else {
    for (const [n, line] of lines.entries()) {
      if (!line) continue;
      const person = findPersonByEmail(deps, line);
      if (!person) {
        errors.emails = "unknownEmail";
        unknownLine = n + 1;
        break;
      }
      if (!ids.includes(person.id)) ids.push(person.id);
    }
  }
  const count = form.count === "" ? ids.length : /^\d{1,9}$/.test(form.count) ? Number(form.count) : -1;
  if (count < ids.length) errors.count = "count"; // not a number, or fewer than the people listed

  if (Object.keys(errors).length > 0 || discoveredAt === null) return { ok: false, errors, unknownLine };
  return { ok: true, value: { title: form.title, description: form.description, affectedIds: ids, others: form.others, affectedCount: count, occurredAt, discoveredAt } };
}

/** Who was notified and when: the time may not precede the discovery nor lie in the future. */
export function parseNotification(body: Readonly<Record<string, string>>, discoveredAt: number, timeZone: string, now: number): Parsed<{ kind: NotificationKind; at: number }> {
  const kind = NOTIFICATIONS.find((k) => k === body.kind);
  const text = (body.at ?? "").trim().slice(0, 17);
  const at = text === "" ? null : parseLocalDateTime(text, timeZone);
  const errors: Record<string, IncidentProblem> = {};
  if (!kind) errors.kind = "required";
  if (text === "") errors.at = "required";
  else if (at === null) errors.at = "dateTime";
  else if (at > now) errors.at = "future";
  else if (at < discoveredAt) errors.at = "beforeDiscovery";
  if (!kind || at === null || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { kind, at } };
}
