// Private calendar feeds (/calendar): a person makes or revokes their feed address; calendar apps fetch the feed.
import type { Context } from "hono";
import { Hono } from "hono";
import { allow, anyone, everyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readingOf } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import { listAppointments } from "./appointments.ts";
import { appointmentEvent } from "./booking-mail.ts";
import { createFeed, feedOwner, revokeFeed } from "./feeds.ts";
import { calendarFile } from "./ics.ts";
import type { BookingRouteDeps } from "./route-helpers.tsx";

const GONE = "This calendar address is not valid any more.\n";

export function calendarRoutes(deps: BookingRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const back = (c: Context<AppEnv>) => (c.get("viewer")!.role === "client" ? "/appointments?feed=1" : "/schedule?feed=1");
  app.post("/feed", allow(everyone), (c) => {
    createFeed(deps, c.get("viewer")!.personId, deps.clock.now());
    return c.redirect(back(c), 303);
  });
  app.post("/feed/revoke", allow(everyone), (c) => {
    revokeFeed(deps, c.get("viewer")!.personId);
    return c.redirect(back(c), 303);
  });
  // The feed itself: calendar apps fetch it without a session; the unguessable token is the credential.
  app.get("/:file{[A-Za-z0-9_-]{43}\\.ics}", allow(anyone), (c) => {
    const now = deps.clock.now();
    const owner = feedOwner(deps.db, c.req.param("file").slice(0, -4), now);
    const person = owner ? readingOf(deps.db, owner) : null;
    if (!owner || !person) return c.text(GONE, 404);
    const own = person.role === "client" ? { clientId: owner } : { specialistIds: [owner] };
    const list = listAppointments(deps.db, { ...own, from: now - 90 * 86_400_000, to: now + 400 * 86_400_000 }).filter((a) => a.status !== "no-show");
    const settings = getSettings(deps.db);
    const events = list.map((a) => appointmentEvent(deps, a, person.locale, deps.config.publicUrl.origin, person.role !== "client", now));
    const body = calendarFile({ name: settings?.name ?? "Kabinet", host: deps.config.publicUrl.hostname, events });
    return c.body(body, 200, { "content-type": "text/calendar; charset=utf-8", "cache-control": "no-store" });
  });
  return app;
}
