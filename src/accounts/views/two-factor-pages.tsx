import { raw } from "hono/html";
import { assetUrl } from "../../http/assets.ts";
import { ActionButton, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { CodeField } from "./auth-pages.tsx";

/** The .txt file of recovery codes: what they are, then one code a line (Windows line ends: Notepad shows them). */
function codesFile(codes: readonly string[], title: string): string {
  return [title, "", ...codes, ""].join("\r\n");
}

export function EnrolPage(p: {
  page: PageContext;
  qrSvg: string;
  secret: string;
  required: boolean;
  message?: string;
  /** Offered to clients when mail works: codes by email instead of an app. */
  email?: { sent: boolean; message?: string } | null;
}): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.twoFactor.enrolTitle}>
      <article>
        <h1>{t.twoFactor.enrolTitle}</h1>
        {p.required ? <Notice>{t.twoFactor.enrolRequired}</Notice> : null}
        <p>{t.twoFactor.enrolLead}</p>
        <figure class="kb-qr" role="img" aria-label={t.twoFactor.qrAlt}>
          {raw(p.qrSvg)}
        </figure>
        <p>
          {t.twoFactor.secretLabel}: <code class="kb-secret" data-testid="totp-secret">{p.secret}</code>
        </p>
        <form method="post" action="/account/two-factor" novalidate>
          <FormAlert message={p.message} summary={t.form.errorSummary} />
          <CodeField name="code" label={t.twoFactor.code} autofocus={false} />
          <button type="submit">{t.twoFactor.enrolSubmit}</button>
        </form>
      </article>
      {p.email ? (
        <article aria-labelledby="email-factor">
          <h2 id="email-factor">{t.twoFactor.emailTitle}</h2>
          <p>{t.twoFactor.emailOffer}</p>
          {p.email.sent ? (
            <form method="post" action="/account/two-factor/email/confirm" novalidate>
              <Notice>{t.twoFactor.emailSent}</Notice>
              <FormAlert message={p.email.message} summary={t.form.errorSummary} />
              <CodeField name="code" idPrefix="email-" label={t.twoFactor.code} autofocus={false} />
              <button type="submit">{t.twoFactor.emailConfirm}</button>
            </form>
          ) : (
            <>
              <FormAlert message={p.email.message} summary={t.form.errorSummary} />
              <ActionButton action="/account/two-factor/email" label={t.twoFactor.emailSend} variant="secondary" />
            </>
          )}
        </article>
      ) : null}
    </Layout>
  );
}

export function RecoveryCodesPage(p: { page: PageContext; codes: readonly string[]; notice?: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.twoFactor.codesTitle}>
      <article>
        {p.notice ? <Notice>{p.notice}</Notice> : null}
        <h1>{t.twoFactor.codesTitle}</h1>
        <p>{t.twoFactor.codesLead}</p>
        <ul class="kb-codes" data-testid="recovery-codes">
          {p.codes.map((c) => (
            <li>{c}</li>
          ))}
        </ul>
        <p>
          <button type="button" class="secondary" hidden data-copy-text={p.codes.join("\n")} data-copied={t.twoFactor.copied} data-copy-failed={t.twoFactor.copyFailed} aria-describedby="codes-copy-status">
            {t.twoFactor.copy}
          </button>{" "}
          {/* Built here, not in the browser: the download works without the script. */}
          <a href={`data:text/plain;charset=utf-8,${encodeURIComponent(codesFile(p.codes, t.twoFactor.codesFile(t.app.name)))}`} download="kabinet-recovery-codes.txt" role="button" class="secondary outline">
            {t.twoFactor.download}
          </a>
        </p>
        <p id="codes-copy-status" role="status" class="kb-muted"></p>
        <script nonce={p.page.nonce} src={assetUrl("copy-button.js")} defer></script>
        <a href="/" role="button">
          {t.twoFactor.codesDone}
        </a>
      </article>
    </Layout>
  );
}
