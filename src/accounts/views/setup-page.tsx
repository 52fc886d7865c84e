import { Field, type FieldErrors, FormAlert, Select, TimeZoneSelect } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";

export function SetupPage(p: { page: PageContext; values?: Record<string, string>; errors?: FieldErrors }): JSX.Element {
  const { t } = p.page;
  const v = p.values ?? {};
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={t.setup.title}>
      <article>
        <h1>{t.setup.title}</h1>
        <p>{t.setup.lead}</p>
        <form method="post" action="/setup" novalidate>
          <FormAlert errors={e} summary={t.form.errorSummary} />
          <Field name="code" label={t.setup.code} value={v.code} error={e.code} hint={t.setup.codeHint} autocomplete="off" required autofocus maxlength={20} />
          <fieldset>
            <legend>{t.setup.orgSection}</legend>
            <Field name="orgName" label={t.setup.orgName} value={v.orgName} error={e.orgName} autocomplete="organization" required maxlength={120} />
            <Select name="language" label={t.setup.language} value={v.language ?? p.page.locale} error={e.language} options={[["en", "English"], ["ru", "Русский"]]} />
            <TimeZoneSelect name="timeZone" label={t.setup.timeZone} value={v.timeZone ?? "Europe/Moscow"} locale={p.page.locale} error={e.timeZone} />
          </fieldset>
          <fieldset>
            <legend>{t.setup.adminSection}</legend>
            <Field name="name" label={t.register.name} value={v.name} error={e.name} autocomplete="name" required maxlength={120} />
            <Field name="email" type="email" label={t.signIn.email} value={v.email} error={e.email} autocomplete="email" required />
            <Field name="password" type="password" label={t.signIn.password} error={e.password} hint={t.form.passwordHint} autocomplete="new-password" required />
          </fieldset>
          <button type="submit">{t.setup.submit}</button>
        </form>
      </article>
    </Layout>
  );
}
