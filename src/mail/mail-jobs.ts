// The "mail" job: writes the queued mail at send time and hands it to the organisation's SMTP server.
import { createHash } from "node:crypto";
import { accountMail, type AccountMailPayload } from "../accounts/account-mail.ts";
import { appointmentMail } from "../booking/booking-mail.ts";
import type { AppointmentMailPayload } from "../booking/notify.ts";
import type { Installation } from "../installation.ts";
import { type Handler, JobWorker } from "../jobs/queue.ts";
import { MAIL_JOB, type Mailer } from "./mailer.ts";

export type MailPayload = AppointmentMailPayload | AccountMailPayload;

export function mailHandler(deps: Pick<Installation, "db" | "vault" | "config">, mailer: Mailer): Handler {
  const origin = deps.config.publicUrl.origin;
  const host = deps.config.publicUrl.hostname;
  return async (job) => {
    const p = job.payload as MailPayload;
    const mail = "appointmentIds" in p ? appointmentMail(deps, job.subject, p, origin) : accountMail(deps, job.subject, p, origin);
    if (!mail) return; // nothing to say any more: the job is done without a mail
    const messageId = `<${createHash("sha256").update(job.dedupeKey).digest("hex").slice(0, 32)}@${host}>`;
    await mailer.send({ ...mail, messageId });
  };
}

/** The installation's job worker: mail waits (nothing lost) while no SMTP server is configured. */
export function jobWorker(inst: Pick<Installation, "db" | "vault" | "config" | "log" | "mailer">, o: { pollMs?: number; now?: () => number } = {}): JobWorker {
  return new JobWorker({
    db: inst.db,
    vault: inst.vault,
    log: inst.log,
    handlers: { [MAIL_JOB]: mailHandler(inst, inst.mailer) },
    paused: (kind) => kind === MAIL_JOB && !inst.mailer.configured,
    pollMs: o.pollMs,
    now: o.now,
  });
}
