// Calendar files (RFC 5545) with ical-generator: "Add to calendar", private feeds, and the invitations mailed with
// appointment mails. Times are written in UTC, which every calendar shows in its own zone; each event's UID is the
// appointment's id and its SEQUENCE the appointment's revision, so a later file (moved, cancelled) updates the same
// entry. Mailed files are iTIP (RFC 5546) messages, one appointment each (an iTIP message carries one UID): REQUEST
// for a booking or a move, CANCEL for a cancellation, with the organisation as ORGANIZER and the recipient as the
// ATTENDEE, so calendar programs add, move and remove the entry by themselves.
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from "ical-generator";

export interface CalendarEvent {
  id: string;
  start: number;
  end: number;
  summary: string;
  description: string;
  url: string;
  location?: string;
  cancelled: boolean;
  /** Increases with every move or cancellation, so calendars replace the entry they have. */
  sequence: number;
  updatedAt: number;
}

export interface CalendarUser {
  name: string;
  email: string;
}

/**
 * A calendar of events to import or subscribe to. No METHOD: it is a plain calendar object, not an iTIP message
 * (PUBLISH would require an ORGANIZER, and there is no scheduling here: no organiser or attendees).
 */
export function calendarFile(o: { name: string; host: string; events: readonly CalendarEvent[] }): string {
  const cal = ical({ name: o.name, prodId: PROD_ID });
  for (const e of o.events) cal.createEvent(eventData(e, o.host));
  return withFinalLineBreak(cal.toString());
}

/** An iTIP message about one appointment: REQUEST (booked or moved) or CANCEL, from the organiser to one attendee. */
export function invitationFile(o: { host: string; event: CalendarEvent; method: "request" | "cancel"; organizer: CalendarUser; attendee: CalendarUser }): string {
  const cal = ical({ prodId: PROD_ID, method: o.method === "request" ? ICalCalendarMethod.REQUEST : ICalCalendarMethod.CANCEL });
  cal.createEvent({
    ...eventData(o.event, o.host),
    organizer: { name: o.organizer.name, email: o.organizer.email },
    attendees: [
      {
        name: o.attendee.name,
        email: o.attendee.email,
        role: ICalAttendeeRole.REQ,
        // Booked by or for them: nothing to answer (replies would go to the sending address, which nobody reads).
        ...(o.method === "request" ? { status: ICalAttendeeStatus.ACCEPTED, rsvp: false } : {}),
      },
    ],
  });
  return withFinalLineBreak(cal.toString());
}

const PROD_ID = { company: "Kabinet", product: "Kabinet", language: "EN" };

function eventData(e: CalendarEvent, host: string) {
  return {
    id: `${e.id}@${host}`,
    start: new Date(e.start),
    end: new Date(e.end),
    stamp: new Date(e.updatedAt),
    summary: e.summary,
    description: e.description,
    url: e.url,
    location: e.location ?? null,
    status: e.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    sequence: e.sequence,
  };
}

/** Every content line ends with CRLF, the last one included (RFC 5545 §3.1). */
function withFinalLineBreak(text: string): string {
  return text.endsWith("\r\n") ? text : `${text}\r\n`;
}
