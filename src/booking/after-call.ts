// What the page after a call says about its appointment (see src/rooms/after-call.routes.tsx): which consultation it
// was, the client's next one, and where to book the same again.
import { LOCALES, type Locale } from "../i18n/messages.ts";
import { personName } from "../people/people.ts";
import type { CallAppointment } from "../rooms/after-call.routes.tsx";
import { appointmentOfRoom, type BookingDeps, listAppointments } from "./appointments.ts";
import { getService } from "./services.ts";

const NEXT_WITHIN_MS = 730 * 86_400_000;

export function callAppointment(deps: Pick<BookingDeps, "db" | "vault">, roomId: string, viewer: string, locale: Locale, now: number): CallAppointment | null {
  const a = appointmentOfRoom(deps.db, roomId);
  // Another guest of the room (an interpreter, a relative) gets the plain page: the appointment is not theirs.
  if (!a || (viewer !== a.clientId && viewer !== a.specialistId)) return null;
  const t = LOCALES[locale];
  const title = (serviceId: string, specialistId: string) => t.rooms.afterWith(getService(deps.db, serviceId)?.name[locale] ?? "—", personName(deps, specialistId) ?? "—");
  const next = listAppointments(deps.db, { clientId: a.clientId, from: now, to: now + NEXT_WITHIN_MS }).find((x) => x.status === "booked" && x.start > now && x.id !== a.id);
  const service = getService(deps.db, a.serviceId);
  return {
    href: `/appointments/${a.id}`,
    title: title(a.serviceId, a.specialistId),
    start: a.start,
    next: next ? { href: `/appointments/${next.id}`, title: title(next.serviceId, next.specialistId), start: next.start } : null,
    bookAgain: service?.active && service.specialistIds.includes(a.specialistId) ? `/book/${service.id}?${new URLSearchParams({ specialist: a.specialistId })}` : null,
  };
}
