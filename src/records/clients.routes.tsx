// The client record (/clients, /clients/:clientId): the host's list of clients, one client's record, emergency access
// (break-glass) to a record outside one's care, and the files of the client's consultations. Who may open what lives
// in care.ts; a record the viewer may not open is a 404 (with the way to break-glass), whether the client exists or not.
import type { Context } from "hono";
import { Hono } from "hono";
import { allow, hostsOnly } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { BREAK_GLASS_REASON_MAX, BREAK_GLASS_REASON_MIN, breakGlass, breakGlassMinutes, type CareActor, isInCareOf } from "./care.ts";
import { listClientsFor, openClientRecord, readRecordFile } from "./record.ts";
import { BreakGlassPage, ClientRecordPage, ClientsPage, RecordNotFoundPage } from "./views/client-record-pages.tsx";

type Deps = Pick<Installation, "db" | "vault" | "config" | "log" | "clock">;

export function clientsRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const actorOf = (c: Context<AppEnv>): CareActor => ({ personId: c.get("viewer")!.personId, role: c.get("viewer")!.role });

  const list = (c: Context<AppEnv>, query: string) => {
    const { clients, more } = listClientsFor(deps, actorOf(c), query, c.get("now"));
    return c.html(<ClientsPage page={pageContext(c)} clients={clients} more={more} query={query} isAdmin={actorOf(c).role === "admin"} />);
  };
  app.get("/", allow(hostsOnly), (c) => list(c, ""));
  // A search by name is posted: a client's name in a URL would stay in the browser's history and in proxy logs.
  app.post("/search", allow(hostsOnly), async (c) => list(c, ((await readForm(c)).q ?? "").slice(0, 100)));

  app.get("/:clientId", allow(hostsOnly), (c) => {
    const clientId = c.req.param("clientId");
    const record = openClientRecord(deps, actorOf(c), clientId, c.get("now"));
    if (!record) return c.html(<RecordNotFoundPage page={pageContext(c)} clientId={clientId} />, 404);
    return c.html(<ClientRecordPage page={pageContext(c)} record={record} timeZone={personZone(deps.db, actorOf(c).personId)} />);
  });

  const breakGlassForm = (c: Context<AppEnv>, reason = "", errors?: Record<string, string>) =>
    c.html(<BreakGlassPage page={pageContext(c)} clientId={c.req.param("clientId") ?? ""} minutes={breakGlassMinutes(deps.db)} minChars={BREAK_GLASS_REASON_MIN} reason={reason} errors={errors} />, errors ? 422 : 200);

  // The same form for any id: whether the client exists shows only once a reason is given (and then is audited).
  app.get("/:clientId/break-glass", allow(hostsOnly), (c) => {
    if (isInCareOf(deps.db, actorOf(c), c.req.param("clientId"))) return c.redirect(`/clients/${c.req.param("clientId")}`, 303);
    return breakGlassForm(c);
  });

  app.post("/:clientId/break-glass", allow(hostsOnly), async (c) => {
    const form = await readForm(c);
    const clientId = c.req.param("clientId");
    const reason = form.reason ?? "";
    const made = breakGlass(deps, actorOf(c), clientId, reason, c.get("now"));
    if (made.ok || made.reason === "in-care") return c.redirect(`/clients/${clientId}`, 303);
    const t = c.get("t").care;
    if (made.reason === "reason-short") return breakGlassForm(c, reason, { reason: t.reasonShort(BREAK_GLASS_REASON_MIN) });
    if (made.reason === "reason-long") return breakGlassForm(c, reason, { reason: t.reasonLong(BREAK_GLASS_REASON_MAX) });
    throw new AppError(404, c.get("t").errors.notFoundTitle);
  });

  // A file shared in one of the client's consultations: always as an attachment, never rendered in our origin.
  app.get("/:clientId/rooms/:roomId/files/:fileId", allow(hostsOnly), async (c) => {
    const { clientId, roomId, fileId } = c.req.param();
    const found = await readRecordFile(deps, actorOf(c), clientId, roomId, fileId, c.get("now"));
    if (!found) throw new AppError(404, c.get("t").errors.notFoundTitle);
    if (found === "withdrawn") throw new AppError(403, c.get("t").consent.filesRefusedBySubject);
    return c.body(new Uint8Array(found.bytes).buffer, 200, {
      "content-type": found.mime,
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(found.name)}`,
      "cache-control": "private, no-store",
      "content-security-policy": "sandbox; default-src 'none'",
    });
  });

  return app;
}
