// The client's own consents (/account/consents): what they agreed to (the words, when, how), giving or withdrawing
// each purpose with one button, and their ledger as CSV. Always the viewer's own: no person id in any URL.
import type { Context } from "hono";
import { Hono } from "hono";
import { recordAudit } from "../audit/audit.ts";
import { allow, type Access } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { isConsentPurpose } from "./consent.ts";
import { type ConsentChange, giveConsent, withdrawConsent } from "./ledger.ts";
import { changeProblem, csvHeaders, ledgerCsv, ledgerView } from "./ledger-page.ts";
import { MyConsentsPage } from "./views/ledger-views.tsx";

const clientsOnly: Access = { who: "roles", roles: ["client"] };

export function myConsentsRoutes(deps: Pick<Installation, "db" | "vault">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (c: Context<AppEnv>, o: { notice?: string; problem?: string } = {}, status: 200 | 404 | 409 = 200) => {
    const personId = c.get("viewer")!.personId;
    const view = ledgerView(deps, personId);
    return c.html(<MyConsentsPage page={pageContext(c)} {...view} timeZone={personZone(deps.db, personId)} notice={o.notice} problem={o.problem} />, status);
  };
  const change = async (c: Context<AppEnv>, act: "give" | "withdraw") => {
    const t = c.get("t");
    const purpose = c.req.param("purpose");
    if (!isConsentPurpose(purpose)) return c.notFound();
    const form = await readForm(c);
    const personId = c.get("viewer")!.personId;
    // The version the page showed: consent counts only to the words the person read (ledger.ts).
    const version = /^\d{1,9}$/.test(form.version ?? "") ? Number(form.version) : -1;
    const who = { personId, purpose, method: "account" as const, recordedBy: personId };
    const result: ConsentChange = deps.db.transaction(
      (tx) => (act === "give" ? giveConsent(tx, deps.vault, { ...who, version }, c.get("now")) : withdrawConsent(tx, deps.vault, who, c.get("now"))),
      { behavior: "immediate" },
    );
    if (!result.ok) return render(c, { problem: changeProblem(t, result.reason) }, result.reason === "no-text" ? 404 : 409);
    return render(c, { notice: act === "give" ? t.consent.givenNotice : t.consent.withdrawnNotice });
  };

  app.get("/", allow(clientsOnly), (c) => render(c));
  app.post("/:purpose/give", allow(clientsOnly), (c) => change(c, "give"));
  app.post("/:purpose/withdraw", allow(clientsOnly), (c) => change(c, "withdraw"));

  app.get("/ledger.csv", allow(clientsOnly), (c) => {
    const personId = c.get("viewer")!.personId;
    const csv = ledgerCsv(ledgerView(deps, personId), c.get("t"), c.get("locale"));
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: personId, action: "consent.download", target: personId, at: c.get("now") }));
    return c.body(csv, 200, csvHeaders("consents.csv"));
  });

  return app;
}
