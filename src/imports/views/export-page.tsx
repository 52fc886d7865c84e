// The appointments export: a period (and optionally one specialist), downloaded as CSV, comma-separated (the default)
// or semicolon-separated with comma decimals for Excel in a Russian locale. Nothing is remembered: just the form field.
import { Field, FormAlert, Select } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { EXPORT_SEPARATORS } from "../appointments-export.ts";

export interface ExportValues {
  from: string;
  to: string;
  specialist: string;
  separator: string;
}

export function ExportPage(p: { page: PageContext; zone: string; specialists: readonly { id: string; name: string }[]; values: ExportValues; errors: Record<string, string> }): JSX.Element {
  const { t } = p.page;
  const e = t.imports.export;
  return (
    <Layout page={p.page} title={e.title}>
      <h1>{e.title}</h1>
      <p>{e.hint(p.zone)}</p>
      <form method="get" action="/admin/exports/appointments.csv">
        <FormAlert errors={p.errors} summary={t.form.errorSummary} />
        <Field name="from" type="date" label={e.from} value={p.values.from} error={p.errors.from} required />
        <Field name="to" type="date" label={e.to} value={p.values.to} error={p.errors.to} required />
        <Select name="specialist" label={e.specialist} value={p.values.specialist} error={p.errors.specialist} options={[["", e.anySpecialist], ...p.specialists.map((s) => [s.id, s.name] as const)]} />
        <fieldset aria-describedby={p.errors.separator ? "f-separator-error" : undefined}>
          <legend>{e.separatorLegend}</legend>
          {p.errors.separator ? <small id="f-separator-error">{p.errors.separator}</small> : null}
          {EXPORT_SEPARATORS.map((s) => (
            <label>
              <input type="radio" name="separator" value={s} checked={p.values.separator === s || (s === "comma" && !EXPORT_SEPARATORS.some((x) => x === p.values.separator))} />
              {e.separators[s]}
            </label>
          ))}
        </fieldset>
        <button type="submit">{e.download}</button>
      </form>
      <p>
        <a href="/admin/imports">{t.imports.title}</a>
      </p>
    </Layout>
  );
}
