// The admin media page: GET /admin/media shows the media settings and the path check; POST /admin/media/network-check
// answers one path's offer from the media server's echo (src/rooms/sfu/network-check.ts), as a room's check does.
//
// Who: admins only. CSRF: the app-wide same-origin check on every POST, and JSON only (see network-check.routes.ts).
// Secrets: the page lists the ICE server URLs, never the shared secret; the check configuration carries the same
// short-lived TURN credentials any room page carries.
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { answerNetworkCheck } from "../rooms/network-check.routes.ts";
import { loadNetworkChecks, mediaOptions } from "../rooms/sfu/load.ts";
import type { NetworkChecks } from "../rooms/sfu/network-check.ts";
import { iceServersNow, relayPathOf } from "../rooms/turn.ts";
import { MediaPage, type PathCheck } from "./views/media-page.tsx";

/** One check per path (up to four) and "Check again" a few times: more than a client's allowance. */
const ADMIN_CHECK_RATE = { checks: 24, windowMs: 10 * 60_000 };

export function mediaRoutes(deps: Pick<Installation, "config" | "clock">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let checks: Promise<NetworkChecks> | null = null;
  const networkChecks = (): Promise<NetworkChecks> => (checks ??= loadNetworkChecks().then(({ NetworkChecks }) => new NetworkChecks(mediaOptions(deps), ADMIN_CHECK_RATE)));

  app.get("/", allow(adminOnly), (c) => {
    const servers = iceServersNow(deps.config, c.get("now"));
    const stun = servers.filter((s) => !relayPathOf(s.urls));
    // Direct: the way a call goes when UDP gets through (STUN servers only, if any); each relay alone and relay only.
    const paths: PathCheck[] = [{ path: "direct", url: null, rtc: { iceServers: stun } }];
    for (const s of servers) {
      const path = relayPathOf(s.urls);
      if (path) paths.push({ path, url: s.urls, rtc: { iceServers: [s], iceTransportPolicy: "relay" } });
    }
    const relays = deps.config.iceServers.some((s) => relayPathOf(s.urls));
    const credentials = !relays ? "none" : deps.config.turnSecret ? "minted" : "fixed";
    return c.html(<MediaPage page={pageContext(c)} ports={deps.config.mediaPorts} advertised={deps.config.publicIp} urls={deps.config.iceServers.map((s) => s.urls)} credentials={credentials} checks={paths} />);
  });

  app.post("/network-check", allow(adminOnly), (c) => answerNetworkCheck(c, networkChecks));

  return app;
}
