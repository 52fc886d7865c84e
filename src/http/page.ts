import type { Context } from "hono";
import type { PageContext } from "../views/layout.tsx";
import type { AppEnv } from "./env.ts";

/** What every full page needs from the request: messages, language and clock, CSP nonce, whose it is, and where. */
export function pageContext(c: Context<AppEnv>): PageContext {
  const identity = c.get("pageIdentity")?.() ?? { org: null, hourCycle: null };
  return {
    t: c.get("t"),
    now: c.get("now"),
    locale: c.get("locale"),
    nonce: c.get("secureHeadersNonce") ?? "",
    path: new URL(c.req.url).pathname,
    org: identity.org ?? { name: c.get("t").app.name, logoUrl: null },
    hourCycle: identity.hourCycle,
    viewer: c.get("viewer")?.session.stage === "full" ? c.get("viewer") : null,
  };
}
