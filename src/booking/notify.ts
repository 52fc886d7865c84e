// The mails an appointment causes, queued in the transaction of the change (src/jobs/queue.ts). Payloads carry ids
// only; the mail is written when it is sent, in the recipient's language and zone, from the appointment as it is then.
import type { Queryable } from "../db/client.ts";
import { cancelJobs, enqueue } from "../jobs/queue.ts";
import { MAIL_JOB } from "../mail/mailer.ts";
import type { Vault } from "../vault/vault.ts";
import type { Appointment } from "./appointments.ts";

export type AppointmentMailKind = "confirmation" | "reminder" | "changed" | "cancelled";

export interface AppointmentMailPayload {
  template: AppointmentMailKind;
  appointmentIds: string[];
  /** For reminders: the start they were queued for, and how many hours before it. */
  start?: number;
  hours?: number;
}


export function queueAppointmentMail(tx: Queryable, vault: Vault, m: { kind: Exclude<AppointmentMailKind, "reminder">; appointments: Appointment[]; recipient: string }, now: number): void {
  const first = m.appointments[0]!;
  const key =
    m.kind === "confirmation" ? `appt:${first.id}:confirmation` : `appt:${first.id}:${m.kind}:${first.revision}:${m.recipient}`; // one per change
  enqueue<AppointmentMailPayload>(tx, vault, { kind: MAIL_JOB, dedupeKey: key, subject: m.recipient, payload: { template: m.kind, appointmentIds: m.appointments.map((a) => a.id) }, runAt: now }, now);
}

/** One reminder per configured offset that is still ahead. Keyed by the start, so moving the appointment queues anew. */
export function queueReminders(tx: Queryable, vault: Vault, a: Appointment, hours: readonly number[], now: number): void {
  for (const h of hours) {
    const runAt = a.start - h * 3600_000;
    if (runAt <= now) continue;
    enqueue<AppointmentMailPayload>(
      tx,
      vault,
      { kind: MAIL_JOB, dedupeKey: `appt:${a.id}:r:${a.start}:${h}`, subject: a.clientId, payload: { template: "reminder", appointmentIds: [a.id], start: a.start, hours: h }, runAt },
      now,
    );
  }
}

export function cancelReminders(tx: Queryable, appointmentId: string, now: number): void {
  cancelJobs(tx, `appt:${appointmentId}:r:`, now);
}
