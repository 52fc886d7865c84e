// The mails an appointment causes, queued in the transaction of the change (src/jobs/queue.ts). Payloads carry ids
// and the revisions they were queued at; the mail is written when it is sent (booking-mail.ts), in the recipient's
// language and zone, from the appointment as it is then.
import type { Queryable } from "../db/client.ts";
import { cancelJobs } from "../jobs/queue.ts";
import { queueMail } from "../mail/templates.ts";
import { getSettings } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import type { Appointment } from "./appointments.ts";

export type AppointmentMailKind = "confirmation" | "booked" | "reminder" | "changed" | "cancelled";

/** The template key of each appointment mail (booking-mail.ts registers a renderer for each). */
export const BOOKING_MAIL: Readonly<Record<AppointmentMailKind, string>> = {
  confirmation: "booking.confirmation",
  booked: "booking.booked",
  reminder: "booking.reminder",
  changed: "booking.changed",
  cancelled: "booking.cancelled",
};

export interface AppointmentMailData {
  appointmentIds: string[];
  /** Each appointment's revision when the mail was queued (absent in mail queued before revisions were recorded). */
  revisions?: number[];
  /** For reminders: the start they were queued for, and how many hours before it. */
  start?: number;
  hours?: number;
}

/**
 * Queues the mail of a change to its recipient. A booking's confirmation (to the client) brings the specialist's
 * notice of it along, in the same transaction, unless the specialist booked it themselves or the organisation turned
 * these notices off (settings). One notice per booking, a series being one: the dedupe key is the first appointment's.
 */
export function queueAppointmentMail(tx: Queryable, vault: Vault, m: { kind: Exclude<AppointmentMailKind, "reminder" | "booked">; appointments: Appointment[]; recipient: string }, now: number): void {
  const first = m.appointments[0]!;
  const key =
    m.kind === "confirmation" ? `appt:${first.id}:confirmation` : `appt:${first.id}:${m.kind}:${first.revision}:${m.recipient}`; // one per change
  const data: AppointmentMailData = { appointmentIds: m.appointments.map((a) => a.id), revisions: m.appointments.map((a) => a.revision) };
  queueMail(tx, vault, BOOKING_MAIL[m.kind], { dedupeKey: key, recipient: m.recipient, data, runAt: now }, now);
  if (m.kind === "confirmation" && first.createdBy !== first.specialistId && getSettings(tx)?.mailSpecialists !== false) {
    queueMail(tx, vault, BOOKING_MAIL.booked, { dedupeKey: `appt:${first.id}:booked`, recipient: first.specialistId, data, runAt: now }, now);
  }
}

/** One reminder per configured offset that is still ahead. Keyed by the start, so moving the appointment queues anew. */
export function queueReminders(tx: Queryable, vault: Vault, a: Appointment, hours: readonly number[], now: number): void {
  for (const h of hours) {
    const runAt = a.start - h * 3600_000;
    if (runAt <= now) continue;
    const data: AppointmentMailData = { appointmentIds: [a.id], revisions: [a.revision], start: a.start, hours: h };
    queueMail(tx, vault, BOOKING_MAIL.reminder, { dedupeKey: `appt:${a.id}:r:${a.start}:${h}`, recipient: a.clientId, data, runAt }, now);
  }
}

export function cancelReminders(tx: Queryable, appointmentId: string, now: number): void {
  cancelJobs(tx, `appt:${appointmentId}:r:`, now);
}
