// /admin/api-tokens: every API token of the organisation with its owner and rate limit; an admin revokes any of
// them, and makes tokens for themselves with a rate limit of their choosing. Owners are staff (admins and
// specialists): their names are shown as on the People page.
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personName, personZone } from "../people/people.ts";
import { type ApiToken, getToken, listTokens, revokeToken } from "./tokens.ts";
import { createFromForm, type FormState } from "./tokens.routes.tsx";
import { EMPTY_TOKEN_FORM } from "./tokens.schema.ts";
import { AdminTokensPage, TokenList } from "./views/tokens-pages.tsx";

const BASE = "/admin/api-tokens";

export function tokensAdminRoutes(deps: Pick<Installation, "db" | "vault" | "clock" | "config">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const ownersOf = (tokens: readonly ApiToken[]) => new Map([...new Set(tokens.map((k) => k.personId))].map((id) => [id, personName(deps, id) ?? ""]));

  const render = (c: Context<AppEnv>, form: FormState = { values: EMPTY_TOKEN_FORM, errors: {} }) => {
    const viewer = c.get("viewer")!;
    const tokens = listTokens(deps.db);
    const props = { page: pageContext(c), role: viewer.role, tokens, owners: ownersOf(tokens), timeZone: personZone(deps.db, viewer.personId), ...form };
    return c.html(<AdminTokensPage {...props} />, Object.values(form.errors).some(Boolean) ? 422 : 200);
  };

  app.get("/", allow(adminOnly), (c) => render(c));

  app.post("/", allow(adminOnly), (c) => createFromForm(c, deps, { withRate: true, back: BASE, render }));

  app.post("/:id/revoke", allow(adminOnly), (c) => {
    const viewer = c.get("viewer")!;
    const id = c.req.param("id");
    if (!getToken(deps.db, id)) return c.notFound();
    revokeToken(deps, id, viewer.personId);
    if (c.req.header("hx-request")) {
      const tokens = listTokens(deps.db);
      return c.html(<TokenList page={pageContext(c)} tokens={tokens} owners={ownersOf(tokens)} timeZone={personZone(deps.db, viewer.personId)} base={BASE} />);
    }
    return c.redirect(BASE, 303);
  });

  return app;
}
