import { dateTimeFormat } from "../../i18n/format.ts";
import { Field, type FieldErrors } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { ReadEntry, ReadsReport } from "../reads.ts";

export interface ReadsForm {
  email: string;
  from: string;
  to: string;
}

/** The who-read report: a form to pick the client and the days, then the readings, oldest first. */
export function ReadsPage(p: { page: PageContext; form: ReadsForm; errors?: FieldErrors; report?: ReadsReport; timeZone: string; csvHref?: string }): JSX.Element {
  const { t } = p.page;
  const r = t.accountability.reads;
  return (
    <Layout page={p.page} title={r.title}>
      <h1>{r.title}</h1>
      <p>{r.lead}</p>
      <form method="post" action="/admin/accountability/reads">
        <div class="grid">
          <div>
            <Field name="email" type="email" label={r.email} value={p.form.email} error={p.errors?.email} maxlength={254} autocomplete="off" />
          </div>
          <div>
            <Field name="from" type="date" label={r.from} value={p.form.from} error={p.errors?.from} />
          </div>
          <div>
            <Field name="to" type="date" label={r.to} value={p.form.to} error={p.errors?.to} />
          </div>
        </div>
        <button type="submit">{r.show}</button>
      </form>
      {p.report ? <ReadsReportView page={p.page} report={p.report} timeZone={p.timeZone} form={p.form} csvHref={p.csvHref} /> : null}
    </Layout>
  );
}

function ReadsReportView(p: { page: PageContext; report: ReadsReport; timeZone: string; form: ReadsForm; csvHref?: string }): JSX.Element {
  const r = p.page.t.accountability.reads;
  const { report } = p;
  const v = report.verification;
  const when = dateTimeFormat(p.page, p.timeZone, true);
  const breakGlass = report.entries.filter((e) => e.breakGlass).length;
  return (
    <section aria-labelledby="report-title" data-testid="reads-report">
      <h2 id="report-title">{r.client(report.client.erased ? `${r.erased} (${report.client.id})` : `${report.client.name} · ${report.client.email}`)}</h2>
      <p role="status" class={v.ok ? "kb-notice" : "kb-alert"} data-testid="chain-status">
        {v.ok ? r.chainOk(v.count) : r.chainBroken(v.reason, v.brokenId)}
      </p>
      <p>
        {r.range(p.form.from, p.form.to)} {report.entries.length === 0 ? r.none : r.count(report.entries.length)}
      </p>
      {report.truncated ? <p class="kb-alert">{r.truncated(report.entries.length)}</p> : null}
      {breakGlass > 0 ? (
        <p class="kb-alert" data-testid="break-glass-count">
          {r.breakGlassCount(breakGlass)}
        </p>
      ) : null}
      {report.entries.length > 0 ? (
        <div class="kb-table" tabindex={0} role="region" aria-labelledby="report-title">
          <table>
            <thead>
              <tr>
                <th scope="col">{r.when}</th>
                <th scope="col">{r.who}</th>
                <th scope="col">{r.role}</th>
                <th scope="col">{r.what}</th>
                <th scope="col">{r.ref}</th>
              </tr>
            </thead>
            <tbody>
              {report.entries.map((e) => (
                <tr data-testid={e.breakGlass ? "break-glass" : "read"}>
                  <td>{when.format(e.at)}</td>
                  <td>{readerLabel(p.page, e)}</td>
                  <td>{e.actorRole ? p.page.t.roles[e.actorRole] : ""}</td>
                  <td>{e.breakGlass ? <mark>{describeRead(p.page, e)}</mark> : describeRead(p.page, e)}</td>
                  <td class="kb-ref">{referenceOf(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p class="kb-muted">{r.notCovered}</p>
      {p.csvHref ? (
        <p>
          <a href={p.csvHref} download>
            {r.csv}
          </a>
        </p>
      ) : null}
    </section>
  );
}

/** The reader as a person reads it: their name, "erased", or the console/system by its id. */
export function readerLabel(page: Pick<PageContext, "t">, e: ReadEntry): string {
  const r = page.t.accountability.reads;
  if (e.actorName === null) return e.actorId === "system" ? r.system : e.actorId;
  return e.actorName === "" ? `${r.erased} (${e.actorId})` : e.actorName;
}

export function describeRead(page: Pick<PageContext, "t">, e: ReadEntry): string {
  return page.t.accountability.reads.actions[e.action] ?? e.action;
}

/** The entry's own ids (a note, a file, an appointment) and the audit entry number, to find it in the log. */
export function referenceOf(e: ReadEntry): string {
  return [`#${e.id}`, ...Object.entries(e.details).map(([k, v]) => `${k}: ${v}`)].join(" · ");
}
