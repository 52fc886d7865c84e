// API token pages: a person's own tokens (/account/api-tokens), every token of the organisation (/admin/api-tokens),
// and the one page that ever shows a token's secret, right after it was made.
import { assetUrl } from "../../http/assets.ts";
import { dateTimeFormat } from "../../i18n/format.ts";
import type { Role } from "../../roles.ts";
import { Field, FormAlert, Notice, Select } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { scopesFor } from "../scopes.ts";
import type { ApiToken } from "../tokens.ts";
import { MAX_RATE_PER_MINUTE } from "../tokens.ts";
import { EXPIRY_DAYS, type TokenFormErrors, type TokenFormValues } from "../tokens.schema.ts";

export const TOKEN_LIST_ID = "api-token-list";

export interface TokenFormProps {
  page: PageContext;
  action: string;
  role: Role;
  values: TokenFormValues;
  errors: TokenFormErrors;
  /** Admins set a token's rate limit; everyone else gets the default. */
  withRate: boolean;
}

export function TokenForm(p: TokenFormProps): JSX.Element {
  const { t } = p.page;
  const a = t.apiTokens;
  const e = p.errors;
  return (
    <form method="post" action={p.action} novalidate>
      <FormAlert errors={e} summary={t.form.errorSummary} />
      <Field name="name" label={a.name} value={p.values.name} error={e.name} hint={a.nameHint} maxlength={80} autocomplete="off" required />
      <fieldset aria-describedby={e.scopes ? "f-scopes-error" : undefined} aria-invalid={e.scopes ? "true" : undefined}>
        <legend>{a.scopes}</legend>
        {e.scopes ? <small id="f-scopes-error">{e.scopes}</small> : null}
        {scopesFor(p.role).map((s) => {
          const id = `f-scope-${s.replace(":", "-")}`;
          return (
            <label for={id}>
              <input id={id} type="checkbox" name={`scope.${s}`} value="on" checked={p.values.scopes.includes(s)} aria-describedby={`${id}-about`} />
              {/* One box beside the checkbox, so the description sits under the scope's name on a phone. */}
              <span>
                <code>{s}</code>
                <br />
                <small id={`${id}-about`} class="kb-muted">
                  {a.scopeAbout[s]}
                </small>
              </span>
            </label>
          );
        })}
      </fieldset>
      <Select name="days" label={a.expiry} value={p.values.days} error={e.days} options={EXPIRY_DAYS.map((d) => [String(d), a.days(d)] as const)} />
      {p.withRate ? <Field name="rate" label={a.rate} value={p.values.rate} error={e.rate} hint={a.rateHint(MAX_RATE_PER_MINUTE)} inputmode="numeric" maxlength={5} required /> : null}
      <button type="submit">{a.create}</button>
    </form>
  );
}

export interface TokenListProps {
  page: PageContext;
  tokens: readonly ApiToken[];
  timeZone: string;
  /** Where a token's revoke form posts: `${base}/${id}/revoke`. */
  base: string;
  /** Owners' names, on the admin page (which also shows each token's rate limit). */
  owners?: ReadonlyMap<string, string>;
}

/** The tokens, newest first; swapped in place after a revoke (htmx), or the whole page without script. */
export function TokenList(p: TokenListProps): JSX.Element {
  const { t, now } = p.page;
  const a = t.apiTokens;
  const when = dateTimeFormat(p.page, p.timeZone);
  if (p.tokens.length === 0) {
    return (
      <div id={TOKEN_LIST_ID}>
        <p>{p.owners ? a.noneAdmin : a.none}</p>
      </div>
    );
  }
  return (
    <div id={TOKEN_LIST_ID}>
      <ul class="kb-people">
        {p.tokens.map((k) => {
          const live = k.revokedAt === null && k.expiresAt > now;
          return (
            <li class={live ? undefined : "kb-status-cancelled"} data-token={k.id}>
              <strong>{k.name}</strong>
              {k.revokedAt !== null ? <em> · {a.revokedOn(when.format(k.revokedAt))}</em> : k.expiresAt <= now ? <em> · {a.expired}</em> : null}
              <dl class="kb-facts">
                {p.owners ? (
                  <>
                    <dt>{a.owner}</dt>
                    <dd>{p.owners.get(k.personId) || "—"}</dd>
                  </>
                ) : null}
                <dt>{a.prefix}</dt>
                <dd>
                  <code>{k.prefix}…</code>
                </dd>
                <dt>{a.scopes}</dt>
                <dd>
                  {k.scopes.map((s, i) => (
                    <>
                      {i > 0 ? ", " : null}
                      <code>{s}</code>
                    </>
                  ))}
                </dd>
                <dt>{a.created}</dt>
                <dd>{when.format(k.createdAt)}</dd>
                <dt>{a.expires}</dt>
                <dd>{when.format(k.expiresAt)}</dd>
                <dt>{a.lastUsed}</dt>
                <dd>{k.lastUsedAt === null ? a.never : when.format(k.lastUsedAt)}</dd>
                {p.owners ? (
                  <>
                    <dt>{a.rateLimit}</dt>
                    <dd>{a.rateShown(k.ratePerMinute)}</dd>
                  </>
                ) : null}
              </dl>
              {k.revokedAt === null ? <RevokeButton page={p.page} token={k} action={`${p.base}/${k.id}/revoke`} /> : null}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** Revoking asks once more, in the page itself (works without script); with htmx the list is swapped in place. */
function RevokeButton(p: { page: PageContext; token: ApiToken; action: string }): JSX.Element {
  const a = p.page.t.apiTokens;
  return (
    <details>
      <summary role="button" class="secondary outline">
        {a.revoke}
      </summary>
      <form method="post" action={p.action} hx-post={p.action} hx-target={`#${TOKEN_LIST_ID}`} hx-swap="outerHTML" class="kb-notice-form">
        <p>{a.revokeConfirm(p.token.name)}</p>
        <button type="submit" class="contrast">
          {a.revokeYes}
        </button>
      </form>
    </details>
  );
}

export interface TokensPageProps {
  page: PageContext;
  role: Role;
  tokens: readonly ApiToken[];
  timeZone: string;
  values: TokenFormValues;
  errors: TokenFormErrors;
  notice?: string;
}

/** Where a developer reads how to use the token: the readable reference and guide first, the raw document last. */
function ApiDocsLinks(p: { page: TokensPageProps["page"] }): JSX.Element {
  const a = p.page.t.apiTokens;
  return (
    <section aria-labelledby="api-docs">
      <h2 id="api-docs">{a.docsTitle}</h2>
      <ul>
        <li>
          <a href="/api/v1/reference" hreflang="en">{a.reference}</a>
        </li>
        <li>
          <a href="/api/v1/guide" hreflang="en">{a.guide}</a>
        </li>
        <li>
          <a href="/api/v1/openapi.json">{a.openapi}</a>
        </li>
      </ul>
      {p.page.locale === "en" ? null : <p>{a.docsEnglish}</p>}
    </section>
  );
}

export function TokensPage(p: TokensPageProps): JSX.Element {
  const { t } = p.page;
  const a = t.apiTokens;
  return (
    <Layout page={p.page} title={a.title}>
      <h1>{a.title}</h1>
      <p>{a.lead}</p>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <article aria-labelledby="new-token">
        <h2 id="new-token">{a.newTitle}</h2>
        <TokenForm page={p.page} action="/account/api-tokens" role={p.role} values={p.values} errors={p.errors} withRate={false} />
      </article>
      <section aria-labelledby="token-list">
        <h2 id="token-list">{a.listTitle}</h2>
        <TokenList page={p.page} tokens={p.tokens} timeZone={p.timeZone} base="/account/api-tokens" />
      </section>
      <ApiDocsLinks page={p.page} />
    </Layout>
  );
}

export interface AdminTokensPageProps extends TokensPageProps {
  owners: ReadonlyMap<string, string>;
}

export function AdminTokensPage(p: AdminTokensPageProps): JSX.Element {
  const { t } = p.page;
  const a = t.apiTokens;
  return (
    <Layout page={p.page} title={a.adminTitle}>
      <h1>{a.adminTitle}</h1>
      <p>{a.adminLead}</p>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <section aria-labelledby="token-list">
        <h2 id="token-list">{a.adminListTitle}</h2>
        <TokenList page={p.page} tokens={p.tokens} timeZone={p.timeZone} base="/admin/api-tokens" owners={p.owners} />
      </section>
      <details open={Object.values(p.errors).some(Boolean)}>
        <summary>{a.newForSelf}</summary>
        <TokenForm page={p.page} action="/admin/api-tokens" role={p.role} values={p.values} errors={p.errors} withRate />
      </details>
      <ApiDocsLinks page={p.page} />
    </Layout>
  );
}

/** The only time a secret is shown: in the answer to the POST that made it (never stored, never in a URL). */
export function TokenCreatedPage(p: { page: PageContext; token: ApiToken; secret: string; apiUrl: string; back: string }): JSX.Element {
  const { t } = p.page;
  const a = t.apiTokens;
  const curl = `curl -H "Authorization: Bearer ${p.secret}" ${p.apiUrl}/services`;
  return (
    <Layout page={p.page} title={a.createdTitle}>
      <article>
        <h1>{a.createdTitle}</h1>
        <p>
          <strong>{p.token.name}</strong>
        </p>
        <Notice>{a.createdLead}</Notice>
        <p class="kb-secret kb-link" data-testid="api-token-secret">
          {p.secret}
        </p>
        <p>
          <button type="button" class="secondary" hidden data-copy-text={p.secret} data-copied={a.copied} data-copy-failed={a.copyFailed} aria-describedby="token-copy-status">
            {a.copy}
          </button>
        </p>
        <p id="token-copy-status" role="status" class="kb-muted"></p>
        <h2>{a.tryIt}</h2>
        <p>{a.tryItHint}</p>
        <p class="kb-link">{curl}</p>
        <p class="kb-muted">{a.lost}</p>
        <p>
          <a href="/api/v1/guide" hreflang="en">{a.guide}</a>
        </p>
        <script nonce={p.page.nonce} src={assetUrl("copy-button.js")} defer></script>
        <a href={p.back} role="button">
          {a.done}
        </a>
      </article>
    </Layout>
  );
}
