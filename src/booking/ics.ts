// Calendar files (RFC 5545) with ical-generator: for the confirmation mail, "Add to calendar", and private feeds.
// Times are written in UTC, which every calendar shows in its own zone; each event's UID is the appointment's id, so
// a later file (moved, cancelled) updates the same entry.
import ical, { ICalCalendarMethod, ICalEventStatus } from "ical-generator";

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

export function calendarFile(o: { name: string; host: string; events: readonly CalendarEvent[]; method?: "publish" }): string {
  const cal = ical({ name: o.name, prodId: { company: "Kabinet", product: "Kabinet", language: "EN" } });
  if (o.method) cal.method(ICalCalendarMethod.PUBLISH);
  for (const e of o.events) {
    cal.createEvent({
      id: `${e.id}@${o.host}`,
      start: new Date(e.start),
      end: new Date(e.end),
      stamp: new Date(e.updatedAt),
      summary: e.summary,
      description: e.description,
      url: e.url,
      location: e.location ?? null,
      status: e.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      sequence: e.sequence,
    });
  }
  return cal.toString();
}
