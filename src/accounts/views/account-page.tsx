import type { PersonWithAccount } from "../people-admin.ts";
import type { Session } from "../../sessions/sessions.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { dateTimeFormat, timeFormat } from "../../i18n/format.ts";
import { zoneName } from "../../i18n/zones.ts";
import { ConsentStatus } from "../../consent/views/consent-views.tsx";

export interface AccountPageProps {
  page: PageContext;
  person: PersonWithAccount;
  twoFactor: { enabled: boolean; method: "totp" | "email" | null; recoveryCodesLeft: number };
  sessions: readonly Session[];
  currentHandle: string;
  timeZone: string;
  notice?: string;
  passwordErrors?: FieldErrors;
  resetError?: string;
  codesError?: string;
  /** The consent text version the person accepted, and when (null: never asked). */
  consent: { version: number; acceptedAt: number } | null;
  clockError?: string;
}

export function AccountPage(p: AccountPageProps): JSX.Element {
  const { t, locale } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  const pe = p.passwordErrors ?? {};
  return (
    <Layout page={p.page} title={t.account.title}>
      <h1>{t.account.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <article aria-labelledby="profile">
        <h2 id="profile">{t.account.profile}</h2>
        <dl>
          <dt>{t.account.name}</dt>
          <dd>{p.person.name}</dd>
          <dt>{t.signIn.email}</dt>
          <dd>{p.person.email}</dd>
          <dt>{t.account.role}</dt>
          <dd>{t.roles[p.person.role]}</dd>
        </dl>
      </article>

      {p.consent || p.person.role === "client" ? <ConsentStatus page={p.page} accepted={p.consent} timeZone={p.timeZone} /> : null}
      <ClockChoice page={p.page} timeZone={p.timeZone} error={p.clockError} />

      <article aria-labelledby="password">
        <h2 id="password">{t.account.password}</h2>
        <form method="post" action="/account/password" novalidate>
          <FormAlert errors={pe} summary={t.form.errorSummary} />
          <Field name="current" type="password" label={t.account.currentPassword} error={pe.current} autocomplete="current-password" required />
          <Field name="next" type="password" label={t.link.newPassword} error={pe.next} hint={t.form.passwordHint} autocomplete="new-password" required />
          <button type="submit">{t.account.changePassword}</button>
        </form>
      </article>

      <article aria-labelledby="two-factor">
        <h2 id="two-factor">{t.account.twoFactor}</h2>
        <p>
          {p.twoFactor.method === "email" ? `${t.twoFactor.emailOn} ` : null}
          {p.twoFactor.enabled ? t.account.twoFactorOn(p.twoFactor.recoveryCodesLeft) : t.account.twoFactorOff}
        </p>
        {p.twoFactor.enabled ? (
          <>
            <form method="post" action="/account/recovery-codes" novalidate>
              <FormAlert message={p.codesError} summary={t.form.errorSummary} />
              <Field name="password" idPrefix="codes-" type="password" label={t.account.currentPassword} error={p.codesError} autocomplete="current-password" required />
              <button type="submit" class="secondary">
                {t.account.newCodes}
              </button>
            </form>
            <details>
              <summary>{t.account.reset}</summary>
              <form method="post" action="/account/two-factor/reset" novalidate>
                <p>{t.account.resetHint}</p>
                <FormAlert message={p.resetError} summary={t.form.errorSummary} />
                <Field name="password" idPrefix="reset-" type="password" label={t.account.currentPassword} error={p.resetError} autocomplete="current-password" required />
                <button type="submit" class="contrast">
                  {t.account.reset}
                </button>
              </form>
            </details>
          </>
        ) : (
          <a href="/account/two-factor" role="button">
            {t.account.enable}
          </a>
        )}
      </article>

      {p.person.role === "admin" || p.person.role === "specialist" ? (
        <article aria-labelledby="api-tokens">
          <h2 id="api-tokens">{t.apiTokens.title}</h2>
          <p>{t.apiTokens.accountHint}</p>
          <a href="/account/api-tokens">{t.apiTokens.accountLink}</a>
        </article>
      ) : null}

      <article aria-labelledby="sessions">
        <h2 id="sessions">{t.account.sessions}</h2>
        <ul>
          {p.sessions.map((s) => (
            <li>
              <strong>{s.device}</strong> · {t.account.lastSeen} {when.format(s.lastSeenAt)}
              {s.handle === p.currentHandle ? <em> ({t.account.thisDevice})</em> : null}{" "}
              {s.handle === p.currentHandle ? null : <ActionButton action={`/account/sessions/${s.handle}/revoke`} label={t.account.revoke} variant="secondary" />}
            </li>
          ))}
        </ul>
        <ActionButton action="/account/sessions/revoke-all" label={t.account.signOutEverywhere} variant="contrast" />
      </article>
    </Layout>
  );
}

/** The viewer's clock: 12 or 24 hours, or their language's custom; each choice shows how a time will read. */
function ClockChoice(p: { page: PageContext; timeZone: string; error?: string }): JSX.Element {
  const { t, locale, hourCycle } = p.page;
  const a = t.account;
  // 14:30 UTC as an example: the reader sees the same time written each way.
  const example = (cycle: "h12" | "h23" | null) => timeFormat({ locale, hourCycle: cycle }, "UTC").format(Date.UTC(2026, 0, 5, 14, 30));
  const options: [string, string][] = [["", a.clockCustom(example(null))], ["h12", a.clock12(example("h12"))], ["h23", a.clock24(example("h23"))]];
  return (
    <article aria-labelledby="clock">
      <h2 id="clock">{a.clock}</h2>
      <p>{a.zoneIs(zoneName(p.timeZone, locale))}</p>
      <form method="post" action="/account/clock" novalidate>
        <FormAlert message={p.error} summary={t.form.errorSummary} />
        <fieldset>
          <legend>{a.clockLegend}</legend>
          {options.map(([value, label]) => (
            <label>
              <input type="radio" name="hourCycle" value={value} checked={(hourCycle ?? "") === value} />
              {label}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="secondary">
          {a.clockSave}
        </button>
      </form>
    </article>
  );
}
