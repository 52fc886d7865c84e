// Appointment mails, written when they are sent: in the recipient's language and zone, from the appointment as it is
// then. They say when, with whom, and where to manage it; the service's name only if the organisation allows it
// (settings → mail details), and never a reason, a note or anything else about the client.
import { dateTimeFormat } from "../i18n/format.ts";
import { LOCALES, type Locale } from "../i18n/messages.ts";
import type { OutgoingMail } from "../mail/mailer.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson, type PeopleDeps, personName, personPreferences } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import { type Appointment, getAppointment } from "./appointments.ts";
import { getAvailability } from "./availability.ts";
import { calendarFile, type CalendarEvent } from "./ics.ts";
import type { AppointmentMailPayload } from "./notify.ts";
import { getService } from "./services.ts";

export interface Reader {
  locale: Locale;
  timeZone: string;
}

/** The zone a person reads times in: their own, a specialist's working zone, or the organisation's. */
export function personZone(db: Queryable, personId: string): string {
  const prefs = personPreferences(db, personId);
  return prefs?.timeZone ?? (prefs?.role === "specialist" ? getAvailability(db, personId)?.timeZone : undefined) ?? getSettings(db)?.timeZone ?? "UTC";
}

/** The language and zone a person reads in, and where to write to them. */
export function readerOf(deps: PeopleDeps, personId: string): Reader & { email: string; name: string } | null {
  const person = getPerson(deps, personId);
  if (!person) return null;
  return { locale: person.locale ?? getSettings(deps.db)?.language ?? "en", timeZone: personZone(deps.db, personId), email: person.email, name: person.name };
}

/** The calendar entry of an appointment, as the reader should see it. */
export function appointmentEvent(deps: PeopleDeps, a: Appointment, locale: Locale, origin: string, forSpecialist: boolean): CalendarEvent {
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
    updatedAt: Date.now(),
  };
}

/** The mail for a queued appointment job, or null when there is nothing to say any more (moved, cancelled, erased). */
export function appointmentMail(deps: PeopleDeps, recipientId: string, p: AppointmentMailPayload, origin: string): Omit<OutgoingMail, "messageId"> | null {
  const reader = readerOf(deps, recipientId);
  if (!reader) return null;
  const appointments = p.appointmentIds.map((id) => getAppointment(deps.db, id)).filter((a): a is Appointment => a !== null);
  const first = appointments[0];
  if (!first) return null;
  // A reminder is for the appointment as it was queued, and only while it is still ahead (mail that waited for SMTP).
  if (p.template === "reminder" && (first.status !== "booked" || first.start !== p.start || Date.now() >= first.start)) return null;
  const t = LOCALES[reader.locale];
  const when = dateTimeFormat(reader.locale, reader.timeZone);
  const forSpecialist = recipientId === first.specialistId;
  const events = appointments.map((a) => appointmentEvent(deps, a, reader.locale, origin, forSpecialist));
  const withWhom = personName(deps, forSpecialist ? first.clientId : first.specialistId);
  const zone = reader.timeZone.replaceAll("_", " ");
  const times = appointments.map((a) => `• ${when.format(new Date(a.start))} (${zone})`).join("\n");
  const subject = t.mail.subjects[p.template](when.format(new Date(first.start)));
  const address = getService(deps.db, first.serviceId)?.mode === "in-person" ? (getSettings(deps.db)?.address ?? "") : "";
  const text = [
    t.mail.greeting(reader.name),
    "",
    t.mail.lead[p.template](withWhom ?? "—", appointments.length),
    times,
    ...(address ? [t.mail.where(address)] : []),
    "",
    p.template === "cancelled" ? t.mail.bookAgain(`${origin}/book`) : `${t.mail.manage}: ${origin}/appointments/${first.id}`,
    "",
    t.mail.footer,
  ].join("\n");
  const attachments =
    p.template === "reminder"
      ? []
      : [{ filename: "appointment.ics", contentType: "text/calendar; charset=utf-8; method=PUBLISH", content: calendarFile({ name: t.app.name, host: new URL(origin).hostname, events, method: "publish" }) }];
  return { to: reader.email, subject, text, attachments };
}
