import type { Context } from "hono";
import type { PageContext } from "../views/layout.tsx";
import type { AppEnv } from "./env.ts";

/** What every full page needs from the request: messages, language, CSP nonce, and where it is. */
export function pageContext(c: Context<AppEnv>): PageContext {
  return {
    t: c.get("t"),
    now: c.get("now"),
    locale: c.get("locale"),
    nonce: c.get("secureHeadersNonce") ?? "",
    path: new URL(c.req.url).pathname,
    viewer: c.get("viewer")?.session.stage === "full" ? c.get("viewer") : null,
  };
}
