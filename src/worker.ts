// The installation's background work, wired like createApp's routes: the job worker with the handler of each job kind
// and every domain's mail templates by key (each domain writes its own mails; mail/ only sends them), and the backup
// schedule, which starts and stops with it.
import { accountMailTemplates } from "./accounts/account-mail.ts";
import { anomalyMailTemplates } from "./anomalies/anomaly-mail.ts";
import { bookingMailTemplates } from "./booking/booking-mail.ts";
import { intakeMailTemplates } from "./intake/intake-mail.ts";
import { privacyMailTemplates } from "./privacy/requests-mail.ts";
import { paymentHandlers, paymentMailTemplates } from "./payments/payment-jobs.ts";
import { type BackupSchedule, startBackupSchedule } from "./backup/schedule.ts";
import type { Installation } from "./installation.ts";
import { JobWorker } from "./jobs/queue.ts";
import { DISCARD_JOB, discardUploadHandler } from "./imports/imports.ts";
import { mailHandler } from "./mail/mail-jobs.ts";
import { MAIL_JOB } from "./mail/mailer.ts";
import type { MailTemplates } from "./mail/templates.ts";
import { webhookHandler } from "./webhooks/deliver.ts";
import { WEBHOOK_JOB } from "./webhooks/emit.ts";

export const MAIL_TEMPLATES: MailTemplates = { ...bookingMailTemplates, ...accountMailTemplates, ...anomalyMailTemplates, ...intakeMailTemplates, ...privacyMailTemplates, ...paymentMailTemplates };

type WorkerInstallation = Pick<Installation, "db" | "vault" | "config" | "log" | "mailer" | "clock" | "masterKeys">;

/** The job worker that also runs the backup schedule (src/backup/schedule.ts) while started. */
class InstallationWorker extends JobWorker {
  #backups: BackupSchedule | null = null;

  constructor(
    private readonly inst: WorkerInstallation,
    options: ConstructorParameters<typeof JobWorker>[0],
    private readonly backupFirstCheckMs: number | undefined,
  ) {
    super(options);
  }

  override start(): void {
    super.start();
    this.#backups = startBackupSchedule(this.inst, { firstCheckMs: this.backupFirstCheckMs });
  }

  override async stop(): Promise<void> {
    await this.#backups?.stop();
    await super.stop();
  }
}

/** Mail waits (nothing lost) while no SMTP server is configured. */
export function jobWorker(inst: WorkerInstallation, o: { pollMs?: number; now?: () => number; backupFirstCheckMs?: number } = {}): JobWorker {
  const now = o.now ?? (() => inst.clock.now());
  return new InstallationWorker(inst, {
    db: inst.db,
    vault: inst.vault,
    log: inst.log,
    handlers: { [MAIL_JOB]: mailHandler(inst, MAIL_TEMPLATES, now), [DISCARD_JOB]: discardUploadHandler(inst, now), [WEBHOOK_JOB]: webhookHandler(inst), ...paymentHandlers(inst) },
    paused: (kind) => kind === MAIL_JOB && !inst.mailer.configured,
    pollMs: o.pollMs,
    now,
  }, o.backupFirstCheckMs);
}
