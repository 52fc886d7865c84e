// The schedule (/schedule): the day or week of a specialist's appointments, or of everyone's for admins and staff.
// Reading colleagues' calendars is audited by the service.
import { Hono } from "hono";
import { allow, staffOnly } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { LiveRooms } from "../rooms/live-rooms.ts";
import { joinWindowOpen, readSchedule } from "./appointments.ts";
import { parseDay, scheduleViewSchema } from "./booking.schema.ts";
import { currentFeedToken, feedUrl } from "./feeds.ts";
import { actorOf, type BookingRouteDeps, dateOf, specialistsList, todayIn, viewerZone, viewOf } from "./route-helpers.tsx";
import type { Service } from "./services.ts";
import { type ScheduleEntry, SchedulePage } from "./views/schedule-page.tsx";

export function scheduleRoutes(deps: BookingRouteDeps, live: LiveRooms): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(staffOnly), (c) => {
    const actor = actorOf(c);
    const zone = viewerZone(deps, c);
    const view = scheduleViewSchema.parse(c.req.query("view"));
    const date = parseDay(c.req.query("date"), todayIn(deps, zone));
    const seesAll = actor.role !== "specialist";
    const specialists = seesAll ? specialistsList(deps) : null;
    const asked = c.req.query("specialist") ?? "all";
    const chosen = seesAll ? (asked === "all" || specialists!.some((s) => s.id === asked) ? asked : "all") : actor.personId;
    const first = view === "week" ? date.subtract({ days: date.dayOfWeek - 1 }) : date;
    const dates = Array.from({ length: view === "week" ? 7 : 1 }, (_, i) => first.add({ days: i }));
    const now = deps.clock.now();
    const list = readSchedule(
      deps,
      actor,
      {
        specialistIds: chosen === "all" ? undefined : [chosen],
        from: first.toZonedDateTime({ timeZone: zone }).epochMilliseconds,
        to: first.add({ days: dates.length }).toZonedDateTime({ timeZone: zone }).epochMilliseconds,
      },
      now,
    );
    const names = new Map<string, string>();
    const services = new Map<string, Service | null>();
    const entries: ScheduleEntry[] = list.map((a) => ({
      ...viewOf(deps, c, a, names, services),
      waiting: a.roomId ? live.waitingIn(a.roomId).includes(a.clientId) : false,
      joinOpen: joinWindowOpen(a, now),
      mine: a.specialistId === actor.personId,
    }));
    const days = dates.map((d) => ({ date: d, entries: entries.filter((e) => dateOf(e.start, zone).equals(d)) }));
    const token = actor.role === "specialist" ? currentFeedToken(deps, actor.personId) : null;
    return c.html(
      <SchedulePage
        page={pageContext(c)}
        view={view}
        date={date}
        specialist={chosen}
        specialists={specialists}
        timeZone={zone}
        days={days}
        feed={actor.role === "specialist" ? { url: token ? feedUrl(deps.config.publicUrl, token) : null } : null}
        notice={c.req.query("feed") ? c.get("t").booking.feed.changed : undefined}
      />,
    );
  });
  return app;
}
