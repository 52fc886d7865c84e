import { dateTimeFormat } from "../../i18n/format.ts";
import { ActionButton, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { fieldName, type Period, RECORD_TYPES, type RetentionPolicy } from "../policy.ts";
import type { RetentionReport } from "../retention.ts";

/** The policy form (a row per record type, two periods each) and the retention job's last report with "Run now". */
export function RetentionPage(p: {
  page: PageContext;
  policy: RetentionPolicy;
  lastRun: RetentionReport | null;
  timeZone: string;
  values?: Record<string, string>;
  errors?: Record<string, string>;
  notice?: string;
}): JSX.Element {
  const { t } = p.page;
  const r = t.retention;
  const value = (type: (typeof RECORD_TYPES)[number], which: keyof Period) => p.values?.[fieldName(type, which)] ?? (p.policy[type][which] === null ? "" : String(p.policy[type][which]));
  const input = (type: (typeof RECORD_TYPES)[number], which: keyof Period, label: string) => {
    const name = fieldName(type, which);
    const id = `f-${name.replace(".", "-")}`;
    const error = p.errors?.[name];
    return (
      <>
        <label for={id}>{label}</label>
        <input id={id} name={name} type="text" inputmode="numeric" value={value(type, which)} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined} />
        {error ? <small id={`${id}-error`}>{error}</small> : null}
      </>
    );
  };
  const last = p.lastRun;
  return (
    <Layout page={p.page} title={r.title}>
      <h1>{r.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <FormAlert errors={p.errors} summary={t.form.errorSummary} />
      <p>{r.lead}</p>
      <form method="post" action="/admin/retention">
        {RECORD_TYPES.map((type) => (
          <fieldset>
            <legend>
              <strong>{r.types[type]}</strong> <span class="kb-muted">({r.measured[type]})</span>
            </legend>
            {type === "audit" ? (
              // Never purged (policy.ts says why): no "delete after" to fill in, only the refusal if a script sent one.
              <>
                {input(type, "keepAtLeastDays", r.keepAtLeast)}
                <small>{p.errors?.[fieldName(type, "deleteAfterDays")] ?? r.auditNote}</small>
              </>
            ) : (
              <div class="grid">
                <div>{input(type, "deleteAfterDays", r.deleteAfter)}</div>
                <div>{input(type, "keepAtLeastDays", r.keepAtLeast)}</div>
              </div>
            )}
          </fieldset>
        ))}
        <button type="submit">{r.save}</button>
      </form>
      <h2>{r.runTitle}</h2>
      <p class="kb-muted">{r.runHint}</p>
      {last ? (
        <>
          <p>
            {r.lastRun(dateTimeFormat(p.page, p.timeZone).format(last.at), last.ms)} <a href="/admin/audit?action=retention.run">{r.allRuns}</a>
          </p>
          <div class="overflow-auto" tabindex={0} role="region" aria-label={r.runTitle}>
          <table>
            <thead>
              <tr>
                <th scope="col">{r.type}</th>
                <th scope="col">{r.purged}</th>
                <th scope="col">{r.keptByHold}</th>
                <th scope="col">{r.keptByLaw}</th>
              </tr>
            </thead>
            <tbody>
              {RECORD_TYPES.map((type) => (
                <tr>
                  <th scope="row">{r.types[type]}</th>
                  <td data-purged={type}>{last.purged[type] ?? 0}</td>
                  <td data-kept-by-hold={type}>{last.keptByHold[type] ?? 0}</td>
                  <td data-kept-by-law={type}>{last.keptByLaw[type] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </>
      ) : (
        <p>{r.never}</p>
      )}
      <ActionButton action="/admin/retention/run" label={r.run} variant="secondary" />
    </Layout>
  );
}
