// The network check of the device-check page: POST /rooms/:id/network-check with JSON {sdp} (the browser's offer)
// answers {sdp} from an echoing peer connection of the media server (src/rooms/sfu/network-check.ts).
//
// Who: whoever may enter the room now, by the same rule as the room page (everyone else gets 404, as if the room did
// not exist). CSRF: like the call client's file upload, by the app-wide same-origin check on every POST
// (src/http/security.ts: Origin, else Sec-Fetch-Site) over SameSite=Lax session cookies; this route also takes only
// `application/json`, which no cross-site form can send without a CORS preflight that this origin never grants.
// Cost: each check holds a media port for up to 20 s, so checks are limited per person and server-wide (429 with
// Retry-After and the reason).
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { Installation } from "../installation.ts";
import { allow, everyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { getRoom, isRoomLive, roomRoleOf } from "./rooms.ts";
import { loadNetworkChecks, mediaOptions } from "./sfu/load.ts";
import type { NetworkChecks } from "./sfu/network-check.ts";

const Offer = z.object({ sdp: z.string().min(1) });

export function networkCheckRoutes(deps: Pick<Installation, "db" | "config" | "clock">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // werift loads on the first check, not at start-up.
  let checks: Promise<NetworkChecks> | null = null;
  const networkChecks = (): Promise<NetworkChecks> => (checks ??= loadNetworkChecks().then(({ NetworkChecks }) => new NetworkChecks(mediaOptions(deps))));

  app.post("/:id/network-check", allow(everyone), async (c) => {
    const t = c.get("t");
    const personId = c.get("viewer")!.personId;
    const room = getRoom(deps.db, c.req.param("id"));
    if (!room || !isRoomLive(room, c.get("now")) || !roomRoleOf(deps.db, room, personId)) return c.json({ error: t.errors.notFoundText }, 404);
    return await answerNetworkCheck(c, networkChecks);
  });

  return app;
}

/** Answers the browser's JSON offer from the echo of `checks`, or says why not (400, 415, 429 with Retry-After). */
export async function answerNetworkCheck(c: Context<AppEnv>, checks: () => Promise<NetworkChecks>): Promise<Response> {
  const t = c.get("t");
  if (!c.req.header("content-type")?.startsWith("application/json")) return c.json({ error: t.networkCheck.jsonOnly }, 415);
  const offer = Offer.safeParse(await c.req.json().catch(() => null));
  if (!offer.success) return c.json({ error: t.networkCheck.badOffer }, 400);
  const started = await (await checks()).start(c.get("viewer")!.personId, offer.data.sdp, c.get("now"));
  if (started.ok) return c.json({ sdp: started.answerSdp });
  if (started.problem === "bad-offer") return c.json({ error: t.networkCheck.badOffer }, 400);
  const seconds = Math.max(1, Math.ceil(started.retryAfterMs / 1000));
  c.header("retry-after", String(seconds));
  return c.json({ error: started.problem === "busy" ? t.networkCheck.busy : t.networkCheck.tooOften(Math.ceil(seconds / 60)) }, 429);
}
