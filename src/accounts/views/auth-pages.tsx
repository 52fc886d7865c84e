import type { Messages } from "../../i18n/messages.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { PasswordProblem } from "../passwords.ts";

export function passwordMessage(problem: PasswordProblem, t: Messages): string {
  return problem === "too-short" ? t.form.passwordTooShort : problem === "too-long" ? t.form.passwordTooLong : t.form.passwordCommon;
}

export function SignInPage(p: { page: PageContext; email?: string; message?: string; notice?: string; canRegister: boolean }): JSX.Element {
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
        <p class="kb-muted">{t.signIn.forgot}</p>
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
          <Field name="code" label={t.twoFactor.code} autocomplete="one-time-code" inputmode={p.method === "email" ? "numeric" : undefined} required autofocus maxlength={20} />
          <button type="submit">{t.twoFactor.submit}</button>
        </form>
        {p.method === "email" ? <ActionButton action="/signin/two-factor/resend" label={t.twoFactor.emailResend} variant="secondary" /> : null}
      </article>
    </Layout>
  );
}

export function RegisterPage(p: { page: PageContext; values?: Record<string, string>; errors?: FieldErrors; message?: string }): JSX.Element {
  const { t } = p.page;
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={t.register.title}>
      <article>
        <h1>{t.register.title}</h1>
        <form method="post" action="/register" novalidate>
          <FormAlert errors={e} message={p.message} summary={t.form.errorSummary} />
          <Field name="name" label={t.register.name} value={p.values?.name} error={e.name} autocomplete="name" required maxlength={120} />
          <Field name="email" type="email" label={t.signIn.email} value={p.values?.email} error={e.email} autocomplete="email" required />
          <button type="submit">{t.register.submit}</button>
        </form>
      </article>
    </Layout>
  );
}

/** The one answer to a registration, whether or not the address has an account (it tells no one who is a client). */
export function RegisterSentPage(p: { page: PageContext; email: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.register.sentTitle}>
      <article>
        <h1>{t.register.sentTitle}</h1>
        <p>{t.register.sent(p.email)}</p>
        <p class="kb-muted">{t.register.sentNoMail}</p>
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
