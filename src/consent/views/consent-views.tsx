import { dateTimeFormat } from "../../i18n/format.ts";
import { type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { ConsentText, ConsentVersion } from "../consent.ts";

/** The organisation's words, paragraph by paragraph (an empty line starts a new one), as text: never markup. */
function ConsentParagraphs(p: { text: string }): JSX.Element {
  return (
    <>
      {p.text.split(/\n\s*\n/).map((para) => (
        <p>{para.trim()}</p>
      ))}
    </>
  );
}

export function ConsentAdminPage(p: {
  page: PageContext;
  required: boolean;
  text: string;
  history: readonly ConsentVersion[];
  timeZone: string;
  errors?: FieldErrors;
  notice?: string;
}): JSX.Element {
  const { t, locale } = p.page;
  const e = p.errors ?? {};
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <Layout page={p.page} title={t.consent.title}>
      <h1>{t.consent.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{t.consent.lead}</p>
      <form method="post" action="/admin/consent" novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        <label>
          <input type="checkbox" name="required" value="on" role="switch" checked={p.required} />
          {t.consent.required}
        </label>
        <label for="f-text">{t.consent.text}</label>
        <textarea id="f-text" name="text" rows={10} maxlength={5000} aria-invalid={e.text ? "true" : undefined} aria-describedby={e.text ? "f-text-error f-text-hint" : "f-text-hint"}>
          {p.text}
        </textarea>
        {e.text ? <small id="f-text-error">{e.text}</small> : null}
        <small id="f-text-hint">{t.consent.textHint}</small>
        <button type="submit">{t.consent.save}</button>
      </form>
      <section aria-labelledby="consent-history">
        <h2 id="consent-history">{t.consent.history}</h2>
        {p.history.length === 0 ? <p class="kb-muted">{t.consent.none}</p> : null}
        {p.history.map((v, i) => (
          <details open={i === 0}>
            <summary>
              {t.consent.version(v.version)} · {when.format(v.createdAt)}
              {i === 0 ? ` (${t.consent.current})` : null} · {t.consent.acceptedBy(v.accepted)}
            </summary>
            <ConsentParagraphs text={v.text} />
          </details>
        ))}
      </section>
    </Layout>
  );
}

/** The current text with the box a person must tick to go on; the version they saw travels with the form. */
export function ConsentCheckbox(p: { t: PageContext["t"]; consent: ConsentText; checked: boolean; error?: string }): JSX.Element {
  const { t } = p;
  return (
    <fieldset aria-describedby={p.error ? "f-consent-error" : undefined}>
      <legend>{t.consent.legend}</legend>
      <div class="kb-consent-text">
        <ConsentParagraphs text={p.consent.text} />
      </div>
      <input type="hidden" name="consentVersion" value={String(p.consent.version)} />
      <label for="f-consent">
        <input id="f-consent" type="checkbox" name="consent" value="on" required checked={p.checked} aria-invalid={p.error ? "true" : undefined} aria-describedby={p.error ? "f-consent-error" : undefined} />
        {t.consent.accept}
      </label>
      {p.error ? <small id="f-consent-error">{p.error}</small> : null}
    </fieldset>
  );
}

/** On the account page: which version the person accepted, and when. */
export function ConsentStatus(p: { page: PageContext; accepted: { version: number; acceptedAt: number } | null; timeZone: string }): JSX.Element {
  const { t, locale } = p.page;
  return (
    <article aria-labelledby="consent">
      <h2 id="consent">{t.consent.title}</h2>
      <p>{p.accepted ? t.consent.accepted(p.accepted.version, dateTimeFormat(p.page, p.timeZone).format(p.accepted.acceptedAt)) : t.consent.notAsked}</p>
    </article>
  );
}
