import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/**
 * The client's address, for throttling. Behind a trusted proxy (Caddy) it is the last X-Forwarded-For entry, the one
 * the proxy itself added; entries before it come from the client and could be forged.
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "in-process"; // app.request() in tests has no socket
  }
}
