// The mail queue page for admins: counts by state, the latest jobs, and a retry button for failed ones.
import { dateTimeFormat } from "../../i18n/format.ts";
import type { Job, JobStatus } from "../../jobs/queue.ts";
import { mailTemplateOf } from "../../mail/templates.ts";
import { ActionButton, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";

export function JobsPage(p: { page: PageContext; smtp: string | null; counts: Record<JobStatus, number>; jobs: readonly Job[]; timeZone: string; notice?: string }): JSX.Element {
  const { t, locale } = p.page;
  const j = t.booking.jobs;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <Layout page={p.page} title={j.title}>
      <h1>{j.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {p.smtp ? <p>{j.smtpOk(p.smtp)}</p> : <p class="kb-alert">{j.smtpMissing}</p>}
      <p>
        {(["pending", "running", "done", "failed", "cancelled"] as const).map((s) => (
          <span class="kb-inline">
            {j.status[s]}: <strong>{p.counts[s]}</strong>
          </span>
        ))}
      </p>
      {p.jobs.length === 0 ? (
        <p>{j.empty}</p>
      ) : (
        <div class="kb-table">
          <table>
            <thead>
              <tr>
                <th scope="col">{j.what}</th>
                <th scope="col">{j.runAt}</th>
                <th scope="col">{j.state}</th>
                <th scope="col">{j.attempts}</th>
                <th scope="col">{j.error}</th>
              </tr>
            </thead>
            <tbody>
              {p.jobs.map((job) => (
                <tr>
                  <td>{templateOf(job, j.templates)}</td>
                  <td>{when.format(job.runAt)}</td>
                  <td>{j.status[job.status]}</td>
                  <td>{job.attempts}</td>
                  <td>
                    {job.lastError ?? ""}
                    {job.status === "failed" ? <ActionButton action={`/admin/mail/${job.id}/retry`} label={j.retry} variant="secondary" /> : null}
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

/** The mail's label, by the template key its payload names (mail queued under a former name included). */
function templateOf(job: Job, labels: Readonly<Record<string, string>>): string {
  const key = mailTemplateOf(job.payload);
  return key !== null && Object.hasOwn(labels, key) ? labels[key]! : labels.other!;
}
