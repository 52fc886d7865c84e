// One client's consents as staff see them (/consent/clients/:personId): the statuses, the ledger and its CSV, and a
// consent given or withdrawn on paper recorded in the client's name (method "staff", recordedBy: the staff member).
//
// Who: admins, and specialists who have or had an appointment with the client (their care, as for session notes).
// Anyone else, or an id that is not a client, gets 404 as if it did not exist. Every view and download is audited.
import type { Context } from "hono";
import { Hono } from "hono";
import { recordAudit } from "../audit/audit.ts";
import { allow, hostsOnly } from "../http/access.ts";
import type { AppEnv, Viewer } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { recordAccessOf } from "../records/care.ts";
import { getPerson, personZone } from "../people/people.ts";
import { isConsentPurpose } from "./consent.ts";
import { giveConsent, withdrawConsent } from "./ledger.ts";
import { changeProblem, csvHeaders, ledgerCsv, ledgerView } from "./ledger-page.ts";
import { ClientConsentsPage } from "./views/ledger-views.tsx";

type Deps = Pick<Installation, "db" | "vault">;

/**
 * Whether this staff member may see and record the client's consents: admins (the data protection officer works as
 * one; the ledger is the evidence of consent, not the client's record), and whoever may open the client's record
 * (their care, or a running break-glass grant: src/records/care.ts).
 */
export function mayHandleClientConsents(deps: Deps, viewer: Pick<Viewer, "personId" | "role">, clientId: string, now: number): boolean {
  if (getPerson(deps, clientId)?.role !== "client") return false;
  if (viewer.role === "admin") return true;
  return recordAccessOf(deps, viewer, clientId, now) !== null;
}

export function clientConsentsRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  /** The client's id when the viewer may handle their consents; null otherwise (answered with 404). */
  const clientOf = (c: Context<AppEnv>): string | null => {
    const id = c.req.param("personId") ?? "";
    return mayHandleClientConsents(deps, c.get("viewer")!, id, c.get("now")) ? id : null;
  };
  const audit = (c: Context<AppEnv>, action: "consent.view" | "consent.download", target: string) =>
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: c.get("viewer")!.personId, action, target, at: c.get("now") }));
  const render = (c: Context<AppEnv>, clientId: string, o: { notice?: string; problem?: string } = {}, status: 200 | 409 | 422 = 200) => {
    const view = ledgerView(deps, clientId);
    const clientName = view.names.get(clientId) || null;
    return c.html(<ClientConsentsPage page={pageContext(c)} {...view} clientName={clientName} timeZone={personZone(deps.db, c.get("viewer")!.personId)} notice={o.notice} problem={o.problem} />, status);
  };

  app.get("/:personId", allow(hostsOnly), (c) => {
    const clientId = clientOf(c);
    if (!clientId) return c.notFound();
    audit(c, "consent.view", clientId);
    return render(c, clientId);
  });

  app.get("/:personId/ledger.csv", allow(hostsOnly), (c) => {
    const clientId = clientOf(c);
    if (!clientId) return c.notFound();
    audit(c, "consent.download", clientId);
    return c.body(ledgerCsv(ledgerView(deps, clientId), c.get("t"), c.get("locale")), 200, csvHeaders("consents.csv"));
  });

  app.post("/:personId/paper", allow(hostsOnly), async (c) => {
    const clientId = clientOf(c);
    if (!clientId) return c.notFound();
    const t = c.get("t");
    if (getPerson(deps, clientId)?.erased) return render(c, clientId, { problem: t.consent.erasedNoEntries }, 409);
    const form = await readForm(c);
    const purpose = form.purpose;
    if (!isConsentPurpose(purpose) || (form.action !== "given" && form.action !== "withdrawn")) return render(c, clientId, { problem: t.form.invalid }, 422);
    const who = { personId: clientId, purpose, method: "staff" as const, recordedBy: c.get("viewer")!.personId };
    const give = form.action === "given";
    const result = deps.db.transaction((tx) => (give ? giveConsent(tx, deps.vault, who, c.get("now")) : withdrawConsent(tx, deps.vault, who, c.get("now"))), { behavior: "immediate" });
    if (!result.ok) return render(c, clientId, { problem: changeProblem(t, result.reason) }, 409);
    return render(c, clientId, { notice: give ? t.consent.paperGiven : t.consent.paperWithdrawn });
  });

  return app;
}
