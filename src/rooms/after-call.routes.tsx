// After the call (/rooms/:id/after): where the call page sends everyone once the host has ended it. The host goes on
// to the appointment's page (or, for a room opened ad hoc, its record); the client gets a calm page: the consultation
// has ended, their next appointment, "Book again", and what was written and shared. Only people of the room reach it;
// for anyone else the room does not exist (404).
//
// Rooms do not know appointments (booking uses rooms, not the other way round): what the page says about the
// appointment comes through `appointmentOf`, which the app wires to the booking domain.
import { Hono } from "hono";
import { auditRoomRecordRead } from "../accountability/room-reads.ts";
import { allow, everyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Locale } from "../i18n/messages.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { listChatMessages } from "./chat.ts";
import { listRoomFiles } from "./files.ts";
import { getRoom, isRoomLive, mayReadRoomRecord, roomRoleOf } from "./rooms.ts";
import { AfterCallPage } from "./views/after-call-page.tsx";

/** What the booking domain tells about a room that was an appointment's. */
export interface CallAppointment {
  /** The appointment's page, where its host continues. */
  href: string;
  /** "Initial consultation with Dr Berg", in the viewer's language. */
  title: string;
  start: number;
  /** The client's next booked appointment, if any. */
  next: { href: string; title: string; start: number } | null;
  /** Booking the same service with the same specialist, while both are still offered. */
  bookAgain: string | null;
}

/** The appointment of a room as `viewer` may see it: only its client and specialist learn about it (another guest, an
 * interpreter say, must not learn the client's next appointment). */
export type AppointmentOfRoom = (roomId: string, viewer: string, locale: Locale, now: number) => CallAppointment | null;

export function afterCallRoutes(deps: Pick<Installation, "db" | "vault">, appointmentOf: AppointmentOfRoom): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/:id/after", allow(everyone), (c) => {
    const viewer = c.get("viewer")!.personId;
    const now = c.get("now");
    const room = getRoom(deps.db, c.req.param("id"));
    const role = room ? roomRoleOf(deps.db, room, viewer) : null;
    if (!room || !role) return c.notFound();
    if (isRoomLive(room, now)) return c.redirect(`/rooms/${room.id}`, 303); // not over: back into the call
    const appointment = appointmentOf(room.id, viewer, c.get("locale"), now);
    if (role === "host") return c.redirect(appointment?.href ?? `/rooms/${room.id}`, 303);
    const record = mayReadRoomRecord(deps.db, room, viewer) ? { roomId: room.id, chat: listChatMessages(deps, room.id), files: listRoomFiles(deps, room.id) } : null;
    if (record) auditRoomRecordRead(deps, room.id, viewer, now);
    return c.html(<AfterCallPage page={pageContext(c)} appointment={appointment} record={record} timeZone={personZone(deps.db, viewer)} />);
  });

  return app;
}
