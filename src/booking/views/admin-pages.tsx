// Admin pages of booking: services.
import { Field, type FieldErrors, FormAlert, Notice, Select, TextArea } from "../../views/form.tsx";
import type { Locale } from "../../i18n/messages.ts";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { CURRENCIES, formatPrice, type Service } from "../services.ts";

export interface SpecialistOption {
  id: string;
  name: string;
}

export function ServicesPage(p: { page: PageContext; services: readonly Service[]; notice?: string }): JSX.Element {
  const { t, locale } = p.page;
  const s = t.booking.services;
  return (
    <Layout page={p.page} title={s.title}>
      <h1>{s.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>
        <a href="/admin/services/new" role="button">
          {s.new}
        </a>
      </p>
      {p.services.length === 0 ? (
        <p>{s.empty}</p>
      ) : (
        <div class="kb-table">
          <table>
            <thead>
              <tr>
                <th scope="col">{s.name}</th>
                <th scope="col">{s.duration}</th>
                <th scope="col">{s.mode}</th>
                <th scope="col">{s.price}</th>
                <th scope="col">{s.specialists}</th>
              </tr>
            </thead>
            <tbody>
              {p.services.map((svc) => (
                <tr>
                  <td>
                    <a href={`/admin/services/${svc.id}`}>{svc.name[locale]}</a>
                    {svc.active ? null : <small class="kb-muted"> · {s.inactive}</small>}
                  </td>
                  <td>{s.minutes(svc.durationMinutes)}</td>
                  <td>{svc.mode === "online" ? s.online : s.inPerson}</td>
                  <td>{formatPrice(svc, locale) ?? "—"}</td>
                  <td>{svc.specialistIds.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

export interface ServiceFormValues {
  nameEn: string;
  nameRu: string;
  descriptionEn: string;
  descriptionRu: string;
  durationMinutes: string;
  bufferBeforeMinutes: string;
  bufferAfterMinutes: string;
  mode: string;
  price: string;
  currency: string;
  cancelHours: string;
  paymentMode: string;
  active: boolean;
  specialistIds: readonly string[];
}

export function serviceFormValues(svc: Service | null): ServiceFormValues {
  return {
    nameEn: svc?.entered.name.en ?? "",
    nameRu: svc?.entered.name.ru ?? "",
    descriptionEn: svc?.entered.description.en ?? "",
    descriptionRu: svc?.entered.description.ru ?? "",
    durationMinutes: String(svc?.durationMinutes ?? 50),
    bufferBeforeMinutes: String(svc?.bufferBeforeMinutes ?? 0),
    bufferAfterMinutes: String(svc?.bufferAfterMinutes ?? 10),
    mode: svc?.mode ?? "online",
    price: svc?.price ? (svc.price.minor / 100).toFixed(2) : "",
    currency: svc?.price?.currency ?? "RUB",
    cancelHours: String(svc?.cancelHours ?? 24),
    paymentMode: svc?.paymentMode ?? "none",
    active: svc?.active ?? true,
    specialistIds: svc?.specialistIds ?? [],
  };
}

export function ServiceFormPage(p: { page: PageContext; id: string | null; paymentsOn: boolean; values: ServiceFormValues; specialists: readonly SpecialistOption[]; orgLanguage: Locale; errors?: FieldErrors; notice?: string }): JSX.Element {
  const { t } = p.page;
  const s = t.booking.services;
  const v = p.values;
  const e = p.errors ?? {};
  const title = p.id ? s.edit : s.new;
  return (
    <Layout page={p.page} title={title}>
      <p>
        <a href="/admin/services">← {s.title}</a>
      </p>
      <h1>{title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {p.id ? <p><a href={`/admin/services/${p.id}/intake`}>{t.intake.builder.link}</a></p> : null}
      <form method="post" action={p.id ? `/admin/services/${p.id}` : "/admin/services"} novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        {/* The organisation's language first and required; the other is optional and reads the same when empty. */}
        {(p.orgLanguage === "ru" ? (["ru", "en"] as const) : (["en", "ru"] as const)).map((lang) => {
          const main = lang === p.orgLanguage;
          const nameKey = lang === "en" ? "nameEn" : "nameRu";
          const descriptionKey = lang === "en" ? "descriptionEn" : "descriptionRu";
          const hint = main ? undefined : s.otherLanguageHint;
          return (
            <>
              <Field name={nameKey} label={main ? s[nameKey] : s.optional(s[nameKey])} value={v[nameKey]} error={e[nameKey]} hint={hint} required={main} maxlength={120} />
              <TextArea name={descriptionKey} label={main ? s[descriptionKey] : s.optional(s[descriptionKey])} value={v[descriptionKey]} error={e[descriptionKey]} />
            </>
          );
        })}
        <div class="grid">
          <div>
            <Field name="durationMinutes" label={s.duration} value={v.durationMinutes} error={e.durationMinutes} inputmode="numeric" required />
          </div>
          <div>
            <Field name="bufferBeforeMinutes" label={s.bufferBefore} value={v.bufferBeforeMinutes} error={e.bufferBeforeMinutes} inputmode="numeric" />
          </div>
          <div>
            <Field name="bufferAfterMinutes" label={s.bufferAfter} value={v.bufferAfterMinutes} error={e.bufferAfterMinutes} inputmode="numeric" />
          </div>
        </div>
        <Select name="mode" label={s.mode} value={v.mode} error={e.mode} options={[["online", s.online], ["in-person", s.inPerson]]} />
        <div class="grid">
          <div>
            <Field name="price" label={s.price} value={v.price} error={e.price} hint={s.priceHint} inputmode="text" maxlength={12} />
          </div>
          <div>
            <Select name="currency" label={s.currency} value={v.currency} error={e.currency} options={CURRENCIES.map((c) => [c, c] as const)} />
          </div>
        </div>
        <Field name="cancelHours" label={s.cancelHours} value={v.cancelHours} error={e.cancelHours} hint={s.cancelHoursHint} inputmode="numeric" />
        <Select
          name="paymentMode"
          label={s.paymentMode}
          value={v.paymentMode}
          error={e.paymentMode}
          hint={p.paymentsOn ? s.paymentModeHint : s.paymentsOff}
          options={[["none", s.paymentNone], ["at-booking", s.paymentAtBooking], ["after", s.paymentAfter]]}
        />
        <fieldset>
          <legend>{s.specialists}</legend>
          {p.specialists.length === 0 ? <p class="kb-muted">{s.noSpecialists}</p> : null}
          {p.specialists.map((sp) => (
            <label>
              <input type="checkbox" name={`specialist:${sp.id}`} value="on" checked={v.specialistIds.includes(sp.id)} />
              {sp.name}
            </label>
          ))}
        </fieldset>
        <label>
          <input type="checkbox" name="active" value="on" role="switch" checked={v.active} />
          {s.active}
        </label>
        <button type="submit">{s.save}</button>
      </form>
    </Layout>
  );
}
