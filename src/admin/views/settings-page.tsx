import type { OrgSettings } from "../../settings/settings.ts";
import { Field, type FieldErrors, FormAlert, Notice, Select, TimeZoneSelect } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";

export function SettingsPage(p: { page: PageContext; settings: OrgSettings; errors?: FieldErrors; notice?: string }): JSX.Element {
  const { t } = p.page;
  const s = p.settings;
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={t.settings.title}>
      <h1>{t.settings.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <form method="post" action="/admin/settings" novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        <Field name="name" label={t.setup.orgName} value={s.name} error={e.name} required maxlength={120} />
        <Select name="language" label={t.setup.language} value={s.language} error={e.language} options={[["en", "English"], ["ru", "Русский"]]} />
        <TimeZoneSelect name="timeZone" label={t.setup.timeZone} value={s.timeZone} error={e.timeZone} />
        <Select
          name="clientTwoFactor"
          label={t.settings.clientTwoFactor}
          value={s.clientTwoFactor}
          error={e.clientTwoFactor}
          options={[["optional", t.settings.optional], ["required", t.settings.required]]}
        />
        <label>
          <input type="checkbox" name="selfRegistration" value="on" role="switch" checked={s.selfRegistration} />
          {t.settings.selfRegistration}
        </label>
        <Field
          name="reminderHours"
          label={t.settings.reminderHours}
          value={s.reminderHours.join(", ")}
          error={e.reminderHours}
          hint={t.settings.reminderHoursHint}
          inputmode="numeric"
          maxlength={40}
        />
        <Select
          name="mailDetails"
          label={t.settings.mailDetails}
          value={s.mailDetails}
          error={e.mailDetails}
          options={[["minimal", t.settings.mailMinimal], ["service", t.settings.mailService]]}
        />
        <Field name="address" label={t.settings.address} value={s.address} error={e.address} hint={t.settings.addressHint} maxlength={300} />
        <button type="submit">{t.settings.submit}</button>
      </form>
    </Layout>
  );
}
