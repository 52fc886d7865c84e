// Appointment mails, written when they are sent: in the recipient's language and zone, from the appointment as it is
// then. They say when, with whom, and where to manage it; the service's name only if the organisation allows it
// (settings → mail details), and never a reason, a note or anything else about the client.
//
// Truthful when late: a mail waits in the queue (SMTP down, a backlog) while the appointment may move or be
// cancelled. It then tells only what is still true: a confirmation or move whose appointment changed again is left to
// the later mail that tells of that change (superseded), a cancelled appointment is never confirmed, and a reminder
// goes out only for the start it was queued for, while that is still ahead. Each mail carries one iTIP calendar
// message per appointment (ics.ts), at its current revision.
import { dateTimeFormat } from "../i18n/format.ts";
import { LOCALES, type Locale } from "../i18n/messages.ts";
import { zoneName } from "../i18n/zones.ts";
import type { MailContext, MailDecision, MailTemplates, QueuedMail } from "../mail/templates.ts";
import { mailTemplate } from "../mail/templates.ts";
import { mailRecipientOf, type PeopleDeps, personName } from "../people/people.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import { getSettings } from "../settings/settings.ts";
import { type Appointment, getAppointment } from "./appointments.ts";
import { type CalendarEvent, invitationFile } from "./ics.ts";
import { type AppointmentMailData, type AppointmentMailKind, BOOKING_MAIL } from "./notify.ts";
import { getService } from "./services.ts";

/** The calendar entry of an appointment, as the reader should see it. */
export function appointmentEvent(deps: PeopleDeps, a: Appointment, locale: Locale, origin: string, forSpecialist: boolean, now = Date.now()): CalendarEvent {
  const t = LOCALES[locale];
  const service = getService(deps.db, a.serviceId);
  const settings = getSettings(deps.db);
  const withName = personName(deps, forSpecialist ? a.clientId : a.specialistId) ?? "—";
  // A specialist's own feed may name the service; a client's mail follows the organisation's mail setting.
  const showService = forSpecialist || settings?.mailDetails === "service";
  return {
    id: a.id,
    start: a.start,
    end: a.end,
    summary: showService && service ? t.mail.summaryService(service.name[locale], withName) : t.mail.summary(withName),
    description: `${t.mail.manage}: ${origin}/appointments/${a.id}`,
    url: `${origin}/appointments/${a.id}`,
    location: service?.mode === "online" ? `${origin}/appointments/${a.id}` : settings?.address || undefined,
    cancelled: a.status === "cancelled",
    sequence: a.revision,
    updatedAt: now,
  };
}

/** The renderers of appointment mails, by template key (registered with the job worker in src/worker.ts). */
export const bookingMailTemplates: MailTemplates = Object.fromEntries(
  (Object.keys(BOOKING_MAIL) as AppointmentMailKind[]).map((kind) => [BOOKING_MAIL[kind], mailTemplate((ctx, d: AppointmentMailData) => appointmentMail(ctx, kind, d))]),
);

function appointmentMail(ctx: MailContext, kind: AppointmentMailKind, d: AppointmentMailData): MailDecision {
  const reader = mailRecipientOf(ctx, ctx.job.recipient);
  if (!reader) return { skip: "the recipient no longer exists" };
  const told = stillTrue(ctx, kind, d);
  if ("skip" in told) return told;
  const appointments = told.appointments;
  const first = appointments[0]!;
  const t = LOCALES[reader.locale];
  const when = dateTimeFormat(reader, reader.timeZone);
  const forSpecialist = ctx.job.recipient === first.specialistId;
  const withWhom = personName(ctx, forSpecialist ? first.clientId : first.specialistId);
  const zone = zoneName(reader.timeZone, reader.locale);
  const times = appointments.map((a) => `• ${when.format(new Date(a.start))} (${zone})`).join("\n");
  const settings = getSettings(ctx.db);
  const address = getService(ctx.db, first.serviceId)?.mode === "in-person" ? (settings?.address ?? "") : "";
  const text = [
    t.mail.greeting(reader.name),
    "",
    t.mail.lead[kind](withWhom ?? "—", appointments.length),
    times,
    ...(address ? [t.mail.where(address)] : []),
    "",
    kind === "cancelled" ? t.mail.bookAgain(`${ctx.origin}/book`) : `${t.mail.manage}: ${ctx.origin}/appointments/${first.id}`,
  ].join("\n");
  const method = kind === "cancelled" ? "cancel" : "request";
  const organizer = { name: ctx.org.name, email: ctx.fromAddress };
  const host = new URL(ctx.origin).hostname;
  const attachments =
    kind === "reminder"
      ? []
      : appointments.map((a, i) => ({
          filename: appointments.length === 1 ? "appointment.ics" : `appointment-${i + 1}.ics`,
          contentType: `text/calendar; charset=utf-8; method=${method.toUpperCase()}`,
          content: invitationFile({ host, method, organizer, attendee: reader, event: appointmentEvent(ctx, a, reader.locale, ctx.origin, forSpecialist, ctx.now) }),
        }));
  return { send: { to: reader.email, locale: reader.locale, subject: t.mail.subjects[kind](when.format(new Date(first.start))), text, attachments } };
}

/** The appointments this mail may still tell of, as they are now, or why it has nothing true left to say. */
function stillTrue(ctx: MailContext, kind: AppointmentMailKind, d: AppointmentMailData): { appointments: Appointment[] } | { skip: string } {
  const queued = d.appointmentIds.map((id, i) => ({ a: getAppointment(ctx.db, id), revision: d.revisions?.[i] }));
  const found = queued.filter((q): q is { a: Appointment; revision: number | undefined } => q.a !== null);
  if (found.length === 0) return { skip: "the appointment no longer exists" };
  if (kind === "cancelled") {
    const cancelled = found.map((q) => q.a).filter((a) => a.status === "cancelled");
    return cancelled.length ? { appointments: cancelled } : { skip: "the appointment is not cancelled" };
  }
  if (kind === "reminder") {
    const a = found[0]!.a;
    if (a.status !== "booked" || a.start !== d.start) return { skip: "the appointment was cancelled or moved since" };
    if (ctx.now >= a.start) return { skip: "the appointment has begun" };
    if (isProcessingRestricted(ctx.db, a.clientId)) return { skip: "processing of the client's data is restricted" };
    return { appointments: [a] };
  }
  let later: QueuedMail[] | null = null;
  const toldLater = (q: { a: Appointment; revision: number | undefined }) => {
    if (q.revision !== undefined && q.revision >= q.a.revision) return false; // unchanged since it was queued
    later ??= ctx.laterMails();
    return later.some((m) => (m.template === BOOKING_MAIL.changed || m.template === BOOKING_MAIL.cancelled) && (m.data.appointmentIds as string[] | undefined)?.includes(q.a.id));
  };
  const booked = found.filter((q) => q.a.status === "booked");
  const current = booked.filter((q) => !toldLater(q)).map((q) => q.a);
  if (current.length) return { appointments: current };
  return { skip: booked.length ? "superseded by a later mail about the same appointment" : "the appointment is no longer booked" };
}
