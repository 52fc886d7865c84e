// The mail that asks a client to fill their appointment's intake form, queued with the booking (and again when it
// moves) in the booking's own transaction. Its key falls under the appointment's reminders (`appt:<id>:r:`), so
// cancelling, moving or holding the appointment cancels it with them; intake-mail.ts checks again when it is sent.
import type { Queryable } from "../db/client.ts";
import { queueMail } from "../mail/templates.ts";
import type { Vault } from "../vault/vault.ts";
import { askedForm } from "./intake-forms.ts";

export const INTAKE_REMINDER_MAIL = "intake.reminder";

export interface IntakeReminderData {
  appointmentId: string;
  /** The start it was queued for: after a move, the mail queued for the new start speaks instead. */
  start: number;
}

const HOUR = 3600_000;

/** A day before the start; when booked later than that, a few hours after booking, and never after the start. */
export function intakeReminderAt(start: number, now: number): number {
  const dayBefore = start - 24 * HOUR;
  if (dayBefore > now) return dayBefore;
  return Math.max(now, Math.min(now + 3 * HOUR, start - HOUR));
}

/** Queues the reminder when the appointment's service asks an intake form; false when it asks none (or it is queued). */
export function queueIntakeReminder(tx: Queryable, vault: Vault, a: { id: string; serviceId: string; clientId: string; start: number }, now: number): boolean {
  if (!askedForm(tx, a.serviceId) || a.start <= now) return false;
  const data: IntakeReminderData = { appointmentId: a.id, start: a.start };
  return queueMail(tx, vault, INTAKE_REMINDER_MAIL, { dedupeKey: `appt:${a.id}:r:intake:${a.start}`, recipient: a.clientId, data, runAt: intakeReminderAt(a.start, now) }, now);
}
