import type { ConsentText } from "../../consent/consent.ts";
import { ConsentCheckbox } from "../../consent/views/consent-views.tsx";
import type { Messages } from "../../i18n/messages.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { PasswordProblem } from "../passwords.ts";

/** A one-time code typed on a phone: the numeric keypad, the code from the mail or SMS offered by the keyboard. */
export function CodeField(p: { name: string; label: string; error?: string; idPrefix?: string; autofocus?: boolean }): JSX.Element {
  return <Field name={p.name} idPrefix={p.idPrefix} label={p.label} error={p.error} autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength={10} required autofocus={p.autofocus ?? true} />;
}

export function passwordMessage(problem: PasswordProblem, t: Messages): string {
  return problem === "too-short" ? t.form.passwordTooShort : problem === "too-long" ? t.form.passwordTooLong : t.form.passwordCommon;
}

export function SignInPage(p: { page: PageContext; email?: string; message?: string; notice?: string; canRegister: boolean; canReset: boolean }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.signIn.title}>
      <article>
        <h1>{t.signIn.title}</h1>
        {p.notice ? <Notice>{p.notice}</Notice> : null}
        <form method="post" action="/signin" novalidate>
          <FormAlert message={p.message} summary={t.form.errorSummary} />
          <Field name="email" type="email" label={t.signIn.email} value={p.email} autocomplete="username" required autofocus />
          <Field name="password" type="password" label={t.signIn.password} autocomplete="current-password" required />
          <button type="submit">{t.signIn.submit}</button>
        </form>
        {p.canReset ? (
          <p>
            <a href="/reset-password">{t.signIn.forgotLink}</a>
          </p>
        ) : (
          <p class="kb-muted">{t.signIn.forgot}</p>
        )}
        {p.canRegister ? (
          <p>
            <a href="/register">{t.signIn.register}</a>
          </p>
        ) : null}
      </article>
    </Layout>
  );
}

export function SecondFactorPage(p: { page: PageContext; method: "totp" | "email"; message?: string; notice?: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.twoFactor.title}>
      <article>
        <h1>{t.twoFactor.title}</h1>
        {p.notice ? <Notice>{p.notice}</Notice> : null}
        <p>{p.method === "email" ? t.twoFactor.emailLead : t.twoFactor.lead}</p>
        <form method="post" action="/signin/two-factor" novalidate>
          <FormAlert message={p.message} summary={t.form.errorSummary} />
          <CodeField name="code" label={t.twoFactor.code} />
          <button type="submit">{t.twoFactor.submit}</button>
        </form>
        {/* Recovery codes have letters: their own field, so the code field can offer the number pad. */}
        <details>
          <summary>{t.twoFactor.useRecovery}</summary>
          <form method="post" action="/signin/two-factor" novalidate>
            <Field name="code" idPrefix="recovery-" label={t.twoFactor.recoveryCode} hint={t.twoFactor.recoveryHint} autocomplete="off" maxlength={20} required />
            <button type="submit">{t.twoFactor.submit}</button>
          </form>
        </details>
        {p.method === "email" ? <ActionButton action="/signin/two-factor/resend" label={t.twoFactor.emailResend} variant="secondary" /> : null}
      </article>
    </Layout>
  );
}

export function RegisterPage(p: {
  page: PageContext;
  values?: Record<string, string>;
  errors?: FieldErrors;
  message?: string;
  /** The consent text to accept, when the organisation asks for it. */
  consent: ConsentText | null;
}): JSX.Element {
  const { t } = p.page;
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={t.register.title}>
      <article>
        <h1>{t.register.title}</h1>
        <p>{t.register.lead}</p>
        <form method="post" action="/register" novalidate>
          <FormAlert errors={e} message={p.message} summary={t.form.errorSummary} />
          <Field name="name" label={t.register.name} value={p.values?.name} error={e.name} autocomplete="name" required maxlength={120} />
          <Field name="email" type="email" label={t.signIn.email} value={p.values?.email} error={e.email} autocomplete="email" required />
          {p.consent ? <ConsentCheckbox t={t} consent={p.consent} checked={p.values?.consent === "on"} error={e.consent} /> : null}
          <button type="submit">{t.register.submit}</button>
        </form>
        <p>
          <a href="/signin">{t.register.haveAccount}</a>
        </p>
      </article>
    </Layout>
  );
}

/** What the registration form carries to the code page, for the code and for sending a new one. */
export interface PendingRegistration {
  name: string;
  email: string;
  consentVersion: number | null;
}

/** The one answer to a registration, whether or not the address has an account (it tells no one who is a client). */
export function RegisterCodePage(p: { page: PageContext; pending: PendingRegistration; message?: string; notice?: string }): JSX.Element {
  const { t } = p.page;
  const { name, email, consentVersion } = p.pending;
  const version: Record<string, string> = consentVersion === null ? {} : { consentVersion: String(consentVersion), consent: "on" };
  return (
    <Layout page={p.page} title={t.register.codeTitle}>
      <article>
        <h1>{t.register.codeTitle}</h1>
        {p.notice ? <Notice>{p.notice}</Notice> : null}
        <p>{t.register.codeLead(email)}</p>
        <p class="kb-muted">{t.register.codeExisting}</p>
        <form method="post" action="/register/code" novalidate>
          <FormAlert errors={{ code: p.message }} summary={t.form.errorSummary} />
          <input type="hidden" name="name" value={name} />
          <input type="hidden" name="email" value={email} />
          {consentVersion === null ? null : <input type="hidden" name="consentVersion" value={String(consentVersion)} />}
          <CodeField name="code" label={t.register.code} error={p.message} />
          <button type="submit">{t.register.codeSubmit}</button>
        </form>
        <p class="kb-muted">{t.register.sentNoMail}</p>
        <ActionButton action="/register" label={t.register.resend} variant="secondary" hidden={{ name, email, resend: "1", ...version }} />
        <p>
          <a href="/register">{t.register.startAgain}</a>
        </p>
      </article>
    </Layout>
  );
}

export function LinkPage(p: { page: PageContext; purpose: "invite" | "reset"; name: string; error?: string }): JSX.Element {
  const { t } = p.page;
  const title = p.purpose === "invite" ? t.link.inviteTitle(p.page.org.name) : t.link.resetTitle;
  return (
    <Layout page={p.page} title={title}>
      <article>
        <h1>{title}</h1>
        <p>{p.purpose === "invite" ? t.link.inviteLead(p.name) : t.link.resetLead(p.name)}</p>
        <form method="post" action="/welcome" novalidate>
          <FormAlert errors={{ password: p.error }} summary={t.form.errorSummary} />
          <Field name="password" type="password" label={t.link.newPassword} error={p.error} hint={t.form.passwordHint} autocomplete="new-password" required autofocus />
          <button type="submit">{t.link.submit}</button>
        </form>
      </article>
    </Layout>
  );
}

export function LinkInvalidPage(p: { page: PageContext }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.link.invalidTitle}>
      <article>
        <h1>{t.link.invalidTitle}</h1>
        <p>{t.link.invalidText}</p>
        <a href="/signin" role="button">
          {t.signIn.title}
        </a>
      </article>
    </Layout>
  );
}

export function ResetRequestPage(p: { page: PageContext; email?: string; error?: string; message?: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.reset.title}>
      <article>
        <h1>{t.reset.title}</h1>
        <p>{t.reset.lead}</p>
        <form method="post" action="/reset-password" novalidate>
          <FormAlert errors={{ email: p.error }} message={p.message} summary={t.form.errorSummary} />
          <Field name="email" type="email" label={t.signIn.email} value={p.email} error={p.error} autocomplete="username" required autofocus />
          <button type="submit">{t.reset.submit}</button>
        </form>
        <p>
          <a href="/signin">{t.signIn.title}</a>
        </p>
      </article>
    </Layout>
  );
}

/** The one answer to a reset request, whether or not the address has an account. */
export function ResetSentPage(p: { page: PageContext }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.reset.sentTitle}>
      <article>
        <h1>{t.reset.sentTitle}</h1>
        <p>{t.reset.sent}</p>
        <p>{t.reset.sentNext}</p>
        <p class="kb-muted">{t.reset.sentNoMail}</p>
        <p>
          <a href="/signin">{t.signIn.title}</a>
        </p>
      </article>
    </Layout>
  );
}
