import { Field, type FieldErrors, FormAlert, TextArea } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { IncidentForm } from "../incidents.schema.ts";
import { DateTimeField, LinesField } from "./incident-fields.tsx";

/** Recording a new incident, or correcting one (`incidentId`). */
export function IncidentFormPage(p: { page: PageContext; form: IncidentForm; errors?: FieldErrors; incidentId?: string }): JSX.Element {
  const { t } = p.page;
  const i = t.accountability.incidents;
  const e = p.errors ?? {};
  const action = p.incidentId ? `/admin/accountability/incidents/${p.incidentId}` : "/admin/accountability/incidents";
  return (
    <Layout page={p.page} title={p.incidentId ? i.edit : i.record}>
      <p>
        <a href={p.incidentId ? action : "/admin/accountability/incidents"}>← {p.incidentId ? p.form.title : i.back}</a>
      </p>
      <h1>{p.incidentId ? i.edit : i.record}</h1>
      <FormAlert errors={p.errors} summary={t.form.errorSummary} />
      <form method="post" action={action}>
        <Field name="title" label={i.titleField} value={p.form.title} error={e.title} maxlength={200} required />
        <TextArea name="description" label={i.description} value={p.form.description} error={e.description} hint={i.descriptionHint} rows={5} />
        <DateTimeField name="discovered" label={i.discovered} value={p.form.discovered} error={e.discovered} hint={i.discoveredHint} />
        <DateTimeField name="occurred" label={i.occurred} value={p.form.occurred} error={e.occurred} hint={i.occurredHint} />
        <LinesField name="emails" label={i.emails} value={p.form.emails} error={e.emails} hint={i.emailsHint} />
        <TextArea name="others" label={i.others} value={p.form.others} error={e.others} hint={i.othersHint} rows={2} />
        <Field name="count" label={i.count} value={p.form.count} error={e.count} hint={i.countHint} inputmode="numeric" maxlength={9} />
        <button type="submit">{i.save}</button>
      </form>
    </Layout>
  );
}
