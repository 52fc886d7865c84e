import { dateTimeFormat } from "../../i18n/format.ts";
import { type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { ConsentPurpose, ConsentText, ConsentVersion } from "../consent.ts";

/** The organisation's words, paragraph by paragraph (an empty line starts a new one), as text: never markup. */
export function ConsentParagraphs(p: { text: string }): JSX.Element {
  return (
    <>
      {p.text.split(/\n\s*\n/).map((para) => (
        <p>{para.trim()}</p>
      ))}
    </>
  );
}

export interface PurposeSection {
  purpose: ConsentPurpose;
  history: readonly ConsentVersion[];
  /** The form's values: the current texts, or what was typed when the form comes back with errors. */
  values: { textEn: string; textRu: string; required?: boolean };
  errors?: FieldErrors;
}

function PurposeForm(p: { page: PageContext; s: PurposeSection; timeZone: string }): JSX.Element {
  const { t } = p.page;
  const { purpose, values } = p.s;
  const e = p.s.errors ?? {};
  const when = dateTimeFormat(p.page, p.timeZone);
  const field = (name: "textEn" | "textRu", label: string, lang: string) => {
    const id = `f-${purpose}-${name}`;
    return (
      <>
        <label for={id}>{label}</label>
        <textarea id={id} name={name} lang={lang} rows={6} maxlength={5000} aria-invalid={e[name] ? "true" : undefined} aria-describedby={e[name] ? `${id}-error ${purpose}-hint` : `${purpose}-hint`}>
          {values[name]}
        </textarea>
        {e[name] ? <small id={`${id}-error`}>{e[name]}</small> : null}
      </>
    );
  };
  return (
    <section aria-labelledby={`purpose-${purpose}`}>
      <h2 id={`purpose-${purpose}`}>{t.consent.purposes[purpose]}</h2>
      <p class="kb-muted">{t.consent.effects[purpose]}</p>
      <form method="post" action={`/admin/consent/${purpose}`} novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        {purpose === "processing" ? (
          <label>
            <input type="checkbox" name="required" value="on" role="switch" checked={values.required === true} />
            {t.consent.required}
          </label>
        ) : null}
        {field("textEn", t.consent.textEn, "en")}
        {field("textRu", t.consent.textRu, "ru")}
        <small id={`${purpose}-hint`}>{t.consent.textHint}</small>
        <button type="submit">{t.consent.save}</button>
      </form>
      <h3>{t.consent.history}</h3>
      {p.s.history.length === 0 ? <p class="kb-muted">{t.consent.none}</p> : null}
      {p.s.history.map((v, i) => (
        <details open={i === 0}>
          <summary>
            {t.consent.version(v.version)} · {when.format(v.createdAt)}
            {i === 0 ? ` (${t.consent.current})` : null} · {t.consent.consentingNow(v.consenting)}
          </summary>
          <div lang="en">
            <ConsentParagraphs text={v.text.en} />
          </div>
          <div lang="ru">
            <ConsentParagraphs text={v.text.ru} />
          </div>
        </details>
      ))}
    </section>
  );
}

export function ConsentAdminPage(p: { page: PageContext; sections: readonly PurposeSection[]; timeZone: string; notice?: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.consent.title}>
      <h1>{t.consent.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{t.consent.lead}</p>
      {p.sections.map((s) => (
        <PurposeForm page={p.page} s={s} timeZone={p.timeZone} />
      ))}
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

/** On the account page: which version the person accepted, and when, with the way to their consents. */
export function ConsentStatus(p: { page: PageContext; accepted: { version: number; acceptedAt: number } | null; timeZone: string }): JSX.Element {
  const { t } = p.page;
  return (
    <article aria-labelledby="consent">
      <h2 id="consent">{t.consent.title}</h2>
      <p>{p.accepted ? t.consent.accepted(p.accepted.version, dateTimeFormat(p.page, p.timeZone).format(p.accepted.acceptedAt)) : t.consent.notAsked}</p>
      <p>
        <a href="/account/consents">{t.consent.manage}</a>
      </p>
    </article>
  );
}

/** A step refused for want of consent: what happened and the one place to change it. */
export function ConsentNeededPage(p: { page: PageContext; message: string; href?: string; linkLabel: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.consent.bookingRefusedTitle}>
      <h1>{t.consent.bookingRefusedTitle}</h1>
      <p role="alert" class="kb-alert">
        {p.message}
      </p>
      {p.href ? (
        <p>
          <a href={p.href} role="button">
            {p.linkLabel}
          </a>
        </p>
      ) : null}
    </Layout>
  );
}
