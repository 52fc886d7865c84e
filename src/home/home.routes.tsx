// The start page. Anyone may call it: signed in, it is the person's dashboard (a client's next appointments, or the
// day's for those who work here); half-way through sign-in, it sends them to the step they must finish; signed out,
// to /signin.
import { Hono } from "hono";
import { deleteCookie, getCookie } from "hono/cookie";
import { countOpenAlerts } from "../anomalies/anomalies.ts";
import { countOpenRequests } from "../privacy/requests.ts";
import { listAppointments } from "../booking/appointments.ts";
import { personZone } from "../people/people.ts";
import { getService } from "../booking/services.ts";
import { allow, anyone, isReturnPath, nextStepPath, RETURN_COOKIE } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personName } from "../people/people.ts";
import { ROOM_INVITE_COOKIE } from "../rooms/rooms.routes.tsx";
import { HomePage, type UpcomingItem } from "./views/home-page.tsx";

export function homeRoutes(deps: Pick<Installation, "db" | "vault" | "clock">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(anyone), (c) => {
    const viewer = c.get("viewer");
    if (viewer?.session.stage !== "full") return c.redirect(nextStepPath(viewer?.session.stage), 303);
    // Someone who opened a consultation link before signing in goes on to it now.
    if (getCookie(c, ROOM_INVITE_COOKIE)) return c.redirect("/rooms/join", 303);
    // Likewise back to the page that asked them to sign in (e.g. an appointment linked from a mail), once.
    const back = getCookie(c, RETURN_COOKIE);
    if (back !== undefined) {
      deleteCookie(c, RETURN_COOKIE, { path: "/" });
      if (isReturnPath(back)) return c.redirect(back, 303);
    }
    const zone = personZone(deps.db, viewer.personId);
    const now = deps.clock.now();
    const client = viewer.role === "client";
    const endOfDay = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(zone).toPlainDate().add({ days: 1 }).toZonedDateTime({ timeZone: zone }).epochMilliseconds;
    // A client's next three; a specialist's rest of today (admins and staff: everyone's, on the schedule page).
    const list =
      client || viewer.role === "specialist"
        ? listAppointments(deps.db, client ? { clientId: viewer.personId, from: now, to: now + 400 * 86_400_000 } : { specialistIds: [viewer.personId], from: now, to: endOfDay })
        : [];
    const upcoming: UpcomingItem[] = list
      .filter((a) => a.status === "booked")
      .slice(0, client ? 3 : 20)
      .map((a) => ({
        id: a.id,
        start: a.start,
        title: getService(deps.db, a.serviceId)?.name[c.get("locale")] ?? "—",
        withName: personName(deps, client ? a.specialistId : a.clientId) ?? "—",
      }));
    const openAlerts = viewer.role === "admin" ? countOpenAlerts(deps.db) : 0;
    const openRequests = viewer.role === "admin" || viewer.role === "staff" ? countOpenRequests(deps.db) : 0;
    return c.html(<HomePage page={pageContext(c)} name={viewer.name} role={viewer.role} upcoming={upcoming} timeZone={zone} openAlerts={openAlerts} openRequests={openRequests} />);
  });
  return app;
}
