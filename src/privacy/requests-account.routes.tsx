// A client's own privacy page (/account/privacy): download everything held about them, file a request about their
// data, and see their requests with the deadline. Clients only: staff data is the organisation's to answer for.
import { Hono } from "hono";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { type Access, allow } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { readingOf } from "../people/people.ts";
import { getOrgIdentity } from "../settings/settings.ts";
import { downloadResponse } from "./export-download.ts";
import { defaultLaw, fileRequest, getRequest, listRequestsOf, orgTimeZone } from "./requests.ts";
import { clientRequestSchema } from "./requests.schema.ts";
import { AccountPrivacyPage } from "./views/requests-account-page.tsx";

const clientsOnly: Access = { who: "roles", roles: ["client"] };

export function accountPrivacyRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", allow(clientsOnly), (c) => {
    const me = c.get("viewer")!.personId;
    const filedId = c.req.query("filed");
    const filed = filedId ? getRequest(deps, filedId) : null;
    return c.html(
      <AccountPrivacyPage page={pageContext(c)} timeZone={orgTimeZone(deps.db)} requests={listRequestsOf(deps, me)} filed={filed?.personId === me ? filed : undefined} />,
    );
  });

  app.post("/requests", allow(clientsOnly), async (c) => {
    const me = c.get("viewer")!.personId;
    const form = await readForm(c);
    const parsed = clientRequestSchema.safeParse(form);
    if (!parsed.success) {
      const page = <AccountPrivacyPage page={pageContext(c)} timeZone={orgTimeZone(deps.db)} requests={listRequestsOf(deps, me)} form={form} errors={fieldErrors(parsed.error, c.get("t"))} />;
      return c.html(page, 422);
    }
    const result = fileRequest(deps, { personId: me, kind: parsed.data.kind, law: defaultLaw(deps.db), channel: "account", receivedAt: c.get("now"), note: parsed.data.note }, me);
    if (!result.ok) throw new AppError(403, c.get("t").errors.forbiddenRole);
    return c.redirect(`/account/privacy?filed=${result.request.id}`, 303);
  });

  // A POST, not a link: a download is a disclosure, audited, and must not be set off by a crawler or a prefetch.
  app.post("/export", allow(clientsOnly), (c) => {
    const me = c.get("viewer")!.personId;
    const reading = readingOf(deps.db, me);
    const response = downloadResponse(deps, me, me, { locale: c.get("locale"), timeZone: reading?.timeZone ?? orgTimeZone(deps.db), orgName: getOrgIdentity(deps.db)?.name ?? c.get("t").app.name, now: c.get("now") }, { by: "self" });
    if (!response) throw new AppError(404, c.get("t").errors.notFoundTitle);
    return response;
  });

  return app;
}
