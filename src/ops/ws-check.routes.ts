// A WebSocket that echoes short text back: lets an admin (and the install test) prove that the reverse proxy passes
// WebSocket upgrades, which the call's signalling needs. Anyone may call it; a foreign Origin is refused, so another
// site cannot use a visitor's browser to hold sockets open here.
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/bun";
import { allow, anyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";

const MAX_MESSAGE = 256;

export function wsCheckRoutes(allowedOrigin: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(
    "/",
    allow(anyone),
    async (c, next) => {
      const origin = c.req.header("origin");
      if (origin !== undefined && origin !== allowedOrigin) return c.text("foreign origin", 403);
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return c.text("expects a WebSocket upgrade", 426);
      await next();
    },
    upgradeWebSocket(() => ({
      onMessage(event, ws) {
        const text = typeof event.data === "string" ? event.data : "";
        if (text.length === 0 || text.length > MAX_MESSAGE) return ws.close(1009, "text of 1–256 characters");
        ws.send(`echo:${text}`);
      },
    })),
  );
  return app;
}
