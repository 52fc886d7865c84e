// The intake reminder, written when it is sent (intake-reminder.ts queues it): in the client's language, a link to
// the appointment's form by its id only. Nothing is sent when there is nothing left to ask: the form was filled, the
// appointment cancelled, moved (the mail queued for the new time speaks instead) or begun, the service no longer
// asks a form, or the client's consent to health data is missing.
import { getAppointment } from "../booking/appointments.ts";
import { dateTimeFormat } from "../i18n/format.ts";
import { LOCALES } from "../i18n/messages.ts";
import { zoneName } from "../i18n/zones.ts";
import { type MailContext, type MailDecision, type MailTemplates, mailTemplate } from "../mail/templates.ts";
import { mailRecipientOf, personName } from "../people/people.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import { askedForm } from "./intake-forms.ts";
import { INTAKE_REMINDER_MAIL, type IntakeReminderData } from "./intake-reminder.ts";
import { intakeMayBeUsed } from "./intake.ts";
import * as store from "./intake.store.ts";

function intakeReminder(ctx: MailContext, d: IntakeReminderData): MailDecision {
  const a = getAppointment(ctx.db, d.appointmentId);
  if (!a || a.status !== "booked") return { skip: "the appointment is no longer booked" };
  if (a.start !== d.start) return { skip: "the appointment was moved since" };
  if (ctx.now >= a.start) return { skip: "the appointment has begun" };
  if (store.getResponseRow(ctx.db, a.id)) return { skip: "the intake form is already filled in" };
  if (!askedForm(ctx.db, a.serviceId)) return { skip: "the service no longer asks an intake form" };
  if (!intakeMayBeUsed(ctx, a.clientId)) return { skip: "no consent to the processing of health data" };
  if (isProcessingRestricted(ctx.db, a.clientId)) return { skip: "processing of the client's data is restricted" };
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  const t = LOCALES[reader.locale];
  const when = `${dateTimeFormat(reader, reader.timeZone).format(new Date(a.start))} (${zoneName(reader.timeZone, reader.locale)})`;
  const text = [t.mail.greeting(reader.name), "", t.intake.mail.lead(personName(ctx, a.specialistId) ?? "—"), `• ${when}`, "", `${ctx.origin}/appointments/${a.id}/intake`, "", t.intake.mail.privacy].join("\n");
  return { send: { to: reader.email, locale: reader.locale, subject: t.intake.mail.subject, text, attachments: [] } };
}

/** Registered with the job worker in src/worker.ts. */
export const intakeMailTemplates: MailTemplates = { [INTAKE_REMINDER_MAIL]: mailTemplate(intakeReminder) };
