import type { AuditVerification } from "../../audit/audit-head.ts";
import type { AuditEntry } from "../../audit/audit.ts";
import { Field } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { dateTimeFormat } from "../../i18n/format.ts";

/** An emergency access or a read made under one (src/records/care.ts): these must stand out in the log. */
const isBreakGlass = (e: AuditEntry): boolean => e.action === "record.break-glass" || typeof e.details.breakGlass === "string";

export function AuditPage(p: {
  page: PageContext;
  entries: readonly AuditEntry[];
  verification: AuditVerification;
  filter: Record<string, string>;
  timeZone: string;
}): JSX.Element {
  const { t, locale } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone, true);
  const v = p.verification;
  return (
    <Layout page={p.page} title={t.audit.title}>
      <h1>{t.audit.title}</h1>
      <p role="status" class={v.ok ? "kb-notice" : "kb-alert"} data-testid="chain-status">
        {v.ok ? t.audit.chainOk(v.count) : v.brokenId === null ? t.audit.logBroken(v.reason) : t.audit.chainBroken(v.brokenId, v.reason)}
      </p>
      {v.ok && (
        <p class="kb-muted" data-testid="audit-head">
          {t.audit.head(v.head)}
        </p>
      )}
      <form method="get" action="/admin/audit" class="grid">
        <Field name="actor" type="search" label={t.audit.who} value={p.filter.actor} maxlength={64} />
        <Field name="action" type="search" label={t.audit.what} value={p.filter.action} maxlength={64} />
        <Field name="from" type="date" label={t.audit.from} value={p.filter.from} />
        <Field name="to" type="date" label={t.audit.to} value={p.filter.to} />
        <button type="submit">{t.audit.filter}</button>
      </form>
      {p.entries.length === 0 ? (
        <p>{t.audit.empty}</p>
      ) : (
        <div class="kb-table">
          <p class="kb-muted">{t.audit.showing(p.entries.length)}</p>
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t.audit.when}</th>
                <th scope="col">{t.audit.actor}</th>
                <th scope="col">{t.audit.action}</th>
                <th scope="col">{t.audit.target}</th>
                <th scope="col">{t.audit.details}</th>
              </tr>
            </thead>
            <tbody>
              {p.entries.map((e) => (
                <tr class={isBreakGlass(e) ? "kb-break-glass" : undefined}>
                  <td>{e.id}</td>
                  <td>{when.format(e.at)}</td>
                  <td class="kb-ref">{e.actor}</td>
                  <td>
                    {isBreakGlass(e) ? <strong class="kb-flag">{t.care.auditBreakGlass}</strong> : null} {e.action}
                  </td>
                  <td class="kb-ref">{e.target ?? ""}</td>
                  <td>
                    {Object.entries(e.details)
                      .map(([k, val]) => `${k}: ${val}`)
                      .join(", ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
