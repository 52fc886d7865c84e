// /account/api-tokens: an admin's or specialist's own API tokens: make one (its secret is shown once, in the answer
// to the POST itself, never in a URL or a later page), see when each was last used, revoke one.
import type { Context } from "hono";
import { Hono } from "hono";
import { AppError } from "../http/app-error.ts";
import { allow, hostsOnly } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { createToken, getToken, listTokens, MAX_RATE_PER_MINUTE, revokeToken } from "./tokens.ts";
import { EMPTY_TOKEN_FORM, parseTokenForm, type TokenFormErrors, type TokenFormValues, tokenFormValues } from "./tokens.schema.ts";
import { TokenCreatedPage, TokenList, TokensPage } from "./views/tokens-pages.tsx";

type Deps = Pick<Installation, "db" | "vault" | "clock" | "config">;

export interface FormState {
  values: TokenFormValues;
  errors: TokenFormErrors;
}

export function tokensRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const render = (c: Context<AppEnv>, form: FormState = { values: EMPTY_TOKEN_FORM, errors: {} }, extra: { notice?: string } = {}) => {
    const viewer = c.get("viewer")!;
    const props = { page: pageContext(c), role: viewer.role, tokens: listTokens(deps.db, viewer.personId), timeZone: personZone(deps.db, viewer.personId), ...form, ...extra };
    return c.html(<TokensPage {...props} />, Object.values(form.errors).some(Boolean) ? 422 : 200);
  };

  app.get("/", allow(hostsOnly), (c) => render(c));

  app.post("/", allow(hostsOnly), (c) => createFromForm(c, deps, { withRate: false, back: "/account/api-tokens", render }));

  app.post("/:id/revoke", allow(hostsOnly), (c) => {
    const viewer = c.get("viewer")!;
    const id = c.req.param("id");
    if (getToken(deps.db, id)?.personId !== viewer.personId) return c.notFound();
    revokeToken(deps, id, viewer.personId, { ownerOnly: viewer.personId });
    if (c.req.header("hx-request")) {
      return c.html(<TokenList page={pageContext(c)} tokens={listTokens(deps.db, viewer.personId)} timeZone={personZone(deps.db, viewer.personId)} base="/account/api-tokens" />);
    }
    return c.redirect("/account/api-tokens", 303);
  });

  return app;
}

/**
 * Makes a token for the viewer from the submitted form: the form again with its field errors (422), or the page that
 * shows the secret once. That page is the POST's own answer and is never stored (no-store); a reload asks to send
 * the form again and would make another token, never show this one.
 */
export async function createFromForm(
  c: Context<AppEnv>,
  deps: Deps,
  o: { withRate: boolean; back: string; render: (c: Context<AppEnv>, form: FormState) => Response | Promise<Response> },
): Promise<Response> {
  const viewer = c.get("viewer")!;
  const t = c.get("t");
  const values = tokenFormValues(await readForm(c), { withRate: o.withRate });
  const parsed = parseTokenForm(values);
  const own = { chooseScope: t.apiTokens.chooseScope, scopeNotAllowed: t.apiTokens.scopeNotAllowed, expiryInvalid: t.apiTokens.expiryInvalid, rateInvalid: t.apiTokens.rateInvalid(MAX_RATE_PER_MINUTE) };
  if (!parsed.ok) return o.render(c, { values, errors: fieldErrors(parsed.issues, t, own) });
  const expiresAt = deps.clock.now() + parsed.days * 86_400_000;
  const made = createToken(deps, { personId: viewer.personId, name: parsed.name, scopes: parsed.scopes, expiresAt, ratePerMinute: parsed.ratePerMinute }, viewer.personId);
  if (!made.ok) {
    if (made.reason === "owner") throw new AppError(403, t.errors.forbiddenRole);
    const errors: TokenFormErrors =
      made.reason === "name" ? { name: t.form.invalid } : made.reason === "expiry" ? { days: own.expiryInvalid } : made.reason === "rate" ? { rate: own.rateInvalid } : made.reason === "scope-not-allowed" ? { scopes: own.scopeNotAllowed } : { scopes: own.chooseScope };
    return o.render(c, { values, errors });
  }
  c.header("cache-control", "no-store");
  const apiUrl = new URL("/api/v1", deps.config.publicUrl).toString();
  return c.html(<TokenCreatedPage page={pageContext(c)} token={made.token} secret={made.secret} apiUrl={apiUrl} back={o.back} />, 201);
}
