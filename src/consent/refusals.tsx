// The answers other domains give when a withdrawn consent stops a step (ledger.ts decides what is stopped): one place,
// so every refusal says what happened and where to change it.
import type { Context } from "hono";
import type { Queryable } from "../db/client.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { bookingAllowed } from "./ledger.ts";
import { ConsentNeededPage } from "./views/consent-views.tsx";

/**
 * For booking's confirm step: null when the client may book; else a 403 page. The client is pointed to their own
 * consents page; staff are told why, and hosts (who may see it) pointed to the client's ledger.
 */
export function bookingRefusal(c: Context<AppEnv>, db: Queryable, clientId: string): Response | Promise<Response> | null {
  if (bookingAllowed(db, clientId)) return null;
  const t = c.get("t");
  const viewer = c.get("viewer")!;
  const page = pageContext(c);
  if (viewer.personId === clientId) return c.html(<ConsentNeededPage page={page} message={t.consent.bookingRefused} href="/account/consents" linkLabel={t.consent.openMine} />, 403);
  const host = viewer.role === "admin" || viewer.role === "specialist";
  return c.html(<ConsentNeededPage page={page} message={t.consent.bookingRefusedStaff} href={host ? `/consent/clients/${clientId}` : undefined} linkLabel={t.consent.openClient} />, 403);
}
