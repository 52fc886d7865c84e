// The installation's job worker, wired like createApp's routes: the handler of each job kind, and every domain's
// mail templates by key (each domain writes its own mails; mail/ only sends them).
import { accountMailTemplates } from "./accounts/account-mail.ts";
import { anomalyMailTemplates } from "./anomalies/anomaly-mail.ts";
import { bookingMailTemplates } from "./booking/booking-mail.ts";
import type { Installation } from "./installation.ts";
import { JobWorker } from "./jobs/queue.ts";
import { mailHandler } from "./mail/mail-jobs.ts";
import { MAIL_JOB } from "./mail/mailer.ts";
import type { MailTemplates } from "./mail/templates.ts";

export const MAIL_TEMPLATES: MailTemplates = { ...bookingMailTemplates, ...accountMailTemplates, ...anomalyMailTemplates };

/** Mail waits (nothing lost) while no SMTP server is configured. */
export function jobWorker(inst: Pick<Installation, "db" | "vault" | "config" | "log" | "mailer" | "clock">, o: { pollMs?: number; now?: () => number } = {}): JobWorker {
  const now = o.now ?? (() => inst.clock.now());
  return new JobWorker({
    db: inst.db,
    vault: inst.vault,
    log: inst.log,
    handlers: { [MAIL_JOB]: mailHandler(inst, MAIL_TEMPLATES, now) },
    paused: (kind) => kind === MAIL_JOB && !inst.mailer.configured,
    pollMs: o.pollMs,
    now,
  });
}
