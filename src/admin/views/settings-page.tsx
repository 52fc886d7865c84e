import { DEFAULT_ORG_HOURS, type OrgSettings } from "../../settings/settings.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice, Select, TimeZoneSelect } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";

export function SettingsPage(p: { page: PageContext; settings: OrgSettings; logoUrl: string | null; errors?: FieldErrors; notice?: string; logoError?: string }): JSX.Element {
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
        <TimeZoneSelect name="timeZone" label={t.setup.timeZone} value={s.timeZone} locale={p.page.locale} error={e.timeZone} />
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
        <label>
          <input type="checkbox" name="mailSpecialists" value="on" role="switch" checked={s.mailSpecialists !== false} aria-describedby="f-mailSpecialists-hint" />
          {t.booking.book.mailSpecialists}
        </label>
        <small id="f-mailSpecialists-hint">{t.booking.book.mailSpecialistsHint}</small>
        <Field name="address" label={t.settings.address} value={s.address} error={e.address} hint={t.settings.addressHint} maxlength={300} />
        <CallsFieldset page={p.page} allowed={s.unencryptedCalls === true} error={e.unencryptedCalls} />
        <SecurityFieldset page={p.page} settings={s} errors={e} />
        <button type="submit">{t.settings.submit}</button>
      </form>
      <LogoSection page={p.page} logoUrl={p.logoUrl} error={p.logoError} />
      <p>
        <a href="/admin/consent">{t.consent.title}</a>
      </p>
    </Layout>
  );
}

/** Whether a browser that cannot encrypt end to end may join unencrypted: off by default, and said plainly why. */
function CallsFieldset(p: { page: PageContext; allowed: boolean; error?: string }): JSX.Element {
  const s = p.page.t.settings;
  const describedBy = `${p.error ? "f-unencryptedCalls-error " : ""}f-unencryptedCalls-hint f-unencryptedCalls-effect`;
  return (
    <fieldset>
      <legend>{s.callsLegend}</legend>
      <p id="f-unencryptedCalls-hint">{s.callsExplained}</p>
      <label for="f-unencryptedCalls">
        <input id="f-unencryptedCalls" type="checkbox" name="unencryptedCalls" value="on" role="switch" checked={p.allowed} aria-invalid={p.error ? "true" : undefined} aria-describedby={describedBy} />
        {s.unencryptedCalls}
      </label>
      {p.error ? <small id="f-unencryptedCalls-error">{p.error}</small> : null}
      <small id="f-unencryptedCalls-effect">{s.unencryptedCallsHint}</small>
    </fieldset>
  );
}

/** Working hours (admin actions outside them raise an alert) and whether admins are mailed about alerts. */
function SecurityFieldset(p: { page: PageContext; settings: OrgSettings; errors: FieldErrors }): JSX.Element {
  const s = p.page.t.settings;
  const hours = p.settings.workingHours ?? DEFAULT_ORG_HOURS;
  const e = p.errors;
  return (
    <fieldset aria-describedby={e.hoursDays ? "f-hoursDays-hint f-hoursDays-error" : "f-hoursDays-hint"}>
      <legend>{s.hoursLegend}</legend>
      <p id="f-hoursDays-hint">{s.hoursExplained}</p>
      {e.hoursDays ? <small id="f-hoursDays-error">{e.hoursDays}</small> : null}
      <div class="grid">
        {s.weekdays.map((day, i) => (
          <label>
            <input type="checkbox" name={`hoursDay${i + 1}`} value="on" checked={hours.days.includes(i + 1)} aria-invalid={e.hoursDays ? "true" : undefined} />
            {day}
          </label>
        ))}
      </div>
      <div class="grid">
        <div>
          <Field name="hoursFrom" type="time" label={s.hoursFrom} value={hours.from} error={e.hoursFrom} />
        </div>
        <div>
          <Field name="hoursTo" type="time" label={s.hoursTo} value={hours.to} error={e.hoursTo} />
        </div>
      </div>
      <label for="f-securityAlertMail">
        <input id="f-securityAlertMail" type="checkbox" name="securityAlertMail" value="on" role="switch" checked={p.settings.securityAlertMail === true} aria-describedby="f-securityAlertMail-hint" />
        {s.securityAlertMail}
      </label>
      <small id="f-securityAlertMail-hint">{s.securityAlertMailHint}</small>
    </fieldset>
  );
}

function LogoSection(p: { page: PageContext; logoUrl: string | null; error?: string }): JSX.Element {
  const s = p.page.t.settings;
  return (
    <section aria-labelledby="logo">
      <h2 id="logo">{s.logo}</h2>
      {p.logoUrl ? (
        <p>
          <img src={p.logoUrl} alt={s.logoCurrent} class="kb-logo-preview" />
        </p>
      ) : (
        <p>{s.logoNone}</p>
      )}
      <form method="post" action="/admin/settings/logo" enctype="multipart/form-data" novalidate>
        <FormAlert message={p.error} summary={p.page.t.form.errorSummary} />
        <label for="f-logo">{s.logoFile}</label>
        <input id="f-logo" name="logo" type="file" accept="image/png,image/jpeg,image/webp" aria-invalid={p.error ? "true" : undefined} aria-describedby={p.error ? "f-logo-error f-logo-hint" : "f-logo-hint"} />
        {p.error ? <small id="f-logo-error">{p.error}</small> : null}
        <small id="f-logo-hint">{s.logoHint}</small>
        <button type="submit" class="secondary">
          {s.logoUpload}
        </button>
      </form>
      {p.logoUrl ? <ActionButton action="/admin/settings/logo/remove" label={s.logoRemove} variant="secondary" /> : null}
    </section>
  );
}
