// Erasing a client from their admin page: a confirmation form (the client's email or the word ERASE typed), then
// eraseClient. Admins only; staff and admins themselves are refused with the reason (privacy/erasure.ts mayErase).
import type { Context } from "hono";
import { Hono } from "hono";
import { getPerson } from "../people/people.ts";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { recordAudit } from "../audit/audit.ts";
import { normalizeEmail } from "../crypto/blind-index.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { type ErasureCheck, eraseClient, mayErase } from "./erasure.ts";
import { listHolds, processingRestriction } from "../retention/holds.ts";
import { KeptNotice, RestrictedMark } from "../retention/views/holds-page.tsx";
import { personZone } from "../people/people.ts";
import { ErasePage } from "./views/erase-page.tsx";

export function erasureRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const actorOf = (c: Context<AppEnv>) => c.get("viewer")!.personId;
  const labelOf = (c: Context<AppEnv>, id: string) => {
    const person = getPerson(deps, id);
    return person && !person.erased ? `${person.name} · ${person.email}` : c.get("t").erasure.erasedName;
  };
  // Why the law keeps the client (holds with their reasons, or the policy's date) and the restriction of processing.
  const keptOf = (c: Context<AppEnv>, id: string, check: ErasureCheck) => {
    const page = pageContext(c);
    const restriction = processingRestriction(deps.db, id);
    const timeZone = personZone(deps.db, actorOf(c));
    if (check.ok || !check.retention) return <RestrictedMark page={page} restriction={restriction} timeZone={timeZone} />;
    return <KeptNotice page={page} personId={id} block={check.retention} holds={listHolds(deps, id, c.get("now"))} restriction={restriction} timeZone={timeZone} />;
  };

  app.get("/:id/erase", allow(adminOnly), (c) => {
    const id = c.req.param("id");
    const check = mayErase(deps.db, id, c.get("now"));
    if (!check.ok && check.block === "not-found") return c.notFound();
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actorOf(c), action: "person.view", target: id, at: c.get("now") }), { behavior: "immediate" });
    const message = check.ok ? undefined : c.get("t").erasure.blocked[check.block];
    return c.html(<ErasePage page={pageContext(c)} personId={id} label={labelOf(c, id)} mayErase={check.ok} message={message} kept={keptOf(c, id, check)} />);
  });

  app.post("/:id/erase", allow(adminOnly), async (c) => {
    const t = c.get("t");
    const id = c.req.param("id");
    const check = mayErase(deps.db, id, c.get("now"));
    if (!check.ok && check.block === "not-found") return c.notFound();
    if (!check.ok) return c.html(<ErasePage page={pageContext(c)} personId={id} label={labelOf(c, id)} mayErase={false} message={t.erasure.blocked[check.block]} kept={keptOf(c, id, check)} />, 409);
    const typed = ((await readForm(c)).confirm ?? "").trim();
    const person = getPerson(deps, id)!;
    if (typed !== "ERASE" && normalizeEmail(typed) !== person.email) {
      return c.html(<ErasePage page={pageContext(c)} personId={id} label={labelOf(c, id)} mayErase errors={{ confirm: t.erasure.confirmWrong }} />, 422);
    }
    const label = labelOf(c, id);
    const result = eraseClient({ ...deps, dataDir: deps.config.dataDir }, id, actorOf(c));
    if (!result.ok) return c.html(<ErasePage page={pageContext(c)} personId={id} label={label} mayErase={false} message={t.erasure.blocked[result.block]} kept={keptOf(c, id, result)} />, 409);
    deps.log.info("client erased", { ms: Math.round(result.ms), walEmptied: result.walEmptied });
    if (!result.walEmptied) deps.log.warn("the WAL could not be emptied after an erasure (a reader held it); the next checkpoint without readers empties it");
    return c.html(<ErasePage page={pageContext(c)} personId={id} label={t.erasure.erasedName} mayErase={false} done={{ sessionsEnded: result.sessionsEnded }} />);
  });

  return app;
}
