import { Field, type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";

/** The confirmation form, a refusal (`message`), or the outcome (`done`). Names the person only by what is still readable. */
export function ErasePage(p: {
  page: PageContext;
  personId: string;
  label: string;
  mayErase: boolean;
  message?: string;
  errors?: FieldErrors;
  done?: { sessionsEnded: number };
  /** What the law keeps and the restriction of processing (src/retention/views/holds-page.tsx KeptNotice). */
  kept?: JSX.Element | null;
}): JSX.Element {
  const { t } = p.page;
  const back = `/admin/people/${p.personId}`;
  return (
    <Layout page={p.page} title={t.erasure.title}>
      <p>
        <a href="/admin/people">← {t.people.back}</a>
      </p>
      <h1>{t.erasure.title}</h1>
      <p>
        <strong>{p.label}</strong>
      </p>
      <FormAlert message={p.message} errors={p.errors} summary={t.form.errorSummary} />
      {p.kept ?? null}
      {p.done ? (
        <Notice>
          {t.erasure.done} {t.erasure.sessionsEnded(p.done.sessionsEnded)}
        </Notice>
      ) : null}
      {p.mayErase && !p.done ? (
        <article>
          <p>{t.erasure.what}</p>
          <form method="post" action={`${back}/erase`}>
            <Field name="confirm" label={t.erasure.confirmLabel} error={p.errors?.confirm} autocomplete="off" required />
            <button type="submit" class="contrast">
              {t.erasure.submit}
            </button>
            <a href={back} role="button" class="secondary">
              {t.erasure.cancel}
            </a>
          </form>
        </article>
      ) : null}
    </Layout>
  );
}
